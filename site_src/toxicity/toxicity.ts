/**
 * `toxicity.load(threshold, labels)` -> model with `classify(texts)`, the API of
 * `@tensorflow-models/toxicity`, backed by a model published with the site: tox-block's BiLSTM
 * (six labels, the default), the embedded profanity classifier (TF-IDF + calibrated SVMs) or the
 * official toxicity model.
 */
import * as tf from '@tensorflow/tfjs';
import {executeGraph} from '../common/execute';
import {warmUp} from '../common/warmup';
import {dataUrl, PageConfig, readPageConfig} from '../common/config';
import {checkThreshold, LabelPrediction, selectLabels, toPredictions} from './classify';
import {KerasTokenizer, KerasTokenizerSpec} from './keras_tokenizer';
import {batchInputs, UnigramTokenizer, Vocabulary} from './sentencepiece';
import {TfidfVectorizer, VectorizerSpec} from './vectorizer';

export type {LabelPrediction, LabelResult} from './classify';

export type ToxicitySource = 'toxblock' | 'embedded' | 'official';

export interface LoadOptions {
  source: ToxicitySource;
  /** URL of model.json. */
  modelUrl: string;
  /** `toxblock`: URL of keras_tokenizer.json. */
  tokenizerUrl?: string;
  /** `embedded`: URL of vectorizer.json. */
  vectorizerUrl?: string;
  /** `official`: URL of the USE vocab.json. */
  vocabUrl?: string;
  /** Called with the loaded fraction in [0, 1]. */
  onProgress?: (fraction: number) => void;
  /** Replaces `fetch` (tests read files with it). */
  fetchFunc?: typeof fetch;
}

/** What differs between sources: tokenizing and running the graph. */
interface Engine {
  /** Label names of the model heads, in output order. */
  labels: string[];
  /** One `[texts, 2]` probability array per head. */
  predict(texts: string[]): Promise<Float32Array[]>;
  /** The TF.js graph it runs. */
  graph: tf.GraphModel;
}

export class ToxicityClassifier {
  readonly labels: string[];

  constructor(private readonly engine: Engine, public threshold: number, labels: string[]) {
    checkThreshold(threshold);
    this.labels = selectLabels(engine.labels, labels);
  }

  /** The same loaded model with another threshold and label selection (no reload). */
  withSettings(threshold: number, labels: string[]): ToxicityClassifier {
    return new ToxicityClassifier(this.engine, threshold, labels);
  }

  /** The TF.js graph model behind it (its metadata carries the build's probe). */
  get graph(): tf.GraphModel {
    return this.engine.graph;
  }

  /** Every label the model can predict (the selected ones are `labels`). */
  get modelLabels(): string[] {
    return [...this.engine.labels];
  }

  /** One prediction per selected label, one result per text. */
  async classify(texts: string | string[]): Promise<LabelPrediction[]> {
    const list = typeof texts === 'string' ? [texts] : texts;
    const outputs = list.length ? await this.engine.predict(list) : this.engine.labels.map(() => new Float32Array());
    return toPredictions(this.engine.labels, outputs, this.labels, list.length, this.threshold);
  }
}

async function fetchJson<T>(url: string, fetchFunc: typeof fetch): Promise<T> {
  let response: Response;
  try {
    response = await fetchFunc(url);
  } catch (err) {
    throw new Error(`could not fetch ${url} (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!response.ok) throw new Error(`could not fetch ${url} (HTTP ${response.status})`);
  return await response.json() as T;
}

async function loadGraph(options: LoadOptions, from: number): Promise<tf.GraphModel> {
  const progress = options.onProgress ?? (() => undefined);
  try {
    return await tf.loadGraphModel(options.modelUrl, {
      onProgress: (f: number) => progress(from + (1 - from) * f),
      ...(options.fetchFunc ? {fetchFunc: options.fetchFunc} : {}),
    });
  } catch (err) {
    throw new Error(`could not load the toxicity model from ${options.modelUrl} ` +
      `(${err instanceof Error ? err.message : String(err)})`);
  }
}

async function embeddedEngine(options: LoadOptions): Promise<Engine> {
  if (!options.vectorizerUrl) throw new Error('the embedded toxicity model needs vectorizerUrl');
  const fetchFunc = options.fetchFunc ?? fetch;
  const spec = await fetchJson<VectorizerSpec>(options.vectorizerUrl, fetchFunc);
  const vectorizer = new TfidfVectorizer(spec);
  options.onProgress?.(0.4);
  const model = await loadGraph(options, 0.4);
  // Compile the kernels now (shaders on WebGL) so the first message is classified without delay.
  await warmUp(model);
  return {
    labels: [spec.label],
    graph: model,
    async predict(texts) {
      const input = tf.tensor2d(vectorizer.transform(texts), [texts.length, vectorizer.size], 'float32');
      const output = model.execute(input) as tf.Tensor;
      const data = await output.data() as Float32Array;
      tf.dispose([input, output]);
      return [data];
    },
  };
}

async function toxblockEngine(options: LoadOptions): Promise<Engine> {
  if (!options.tokenizerUrl) throw new Error('the toxblock toxicity model needs tokenizerUrl');
  const spec = await fetchJson<KerasTokenizerSpec>(options.tokenizerUrl, options.fetchFunc ?? fetch);
  const tokenizer = new KerasTokenizer(spec);
  options.onProgress?.(0.05);
  const model = await loadGraph(options, 0.05);
  // The BiLSTM is a StatelessWhile loop: warmUp falls back to executeAsync as `run` does.
  await warmUp(model);
  const labels = [...spec.labels];
  return {
    labels,
    graph: model,
    async predict(texts) {
      const input = tf.tensor2d(tokenizer.encode(texts), [texts.length, tokenizer.maxLen], 'int32');
      const outputs = await executeGraph(model, input);
      const data = await outputs[0].data() as Float32Array;  // [texts, labels]: P(label), rescaled
      tf.dispose([input, ...outputs]);
      return labels.map((_, head) => {
        const pairs = new Float32Array(2 * texts.length);
        for (let i = 0; i < texts.length; i++) {
          const p = data[i * labels.length + head];
          pairs[2 * i] = 1 - p;
          pairs[2 * i + 1] = p;
        }
        return pairs;
      });
    },
  };
}

async function officialEngine(options: LoadOptions): Promise<Engine> {
  if (!options.vocabUrl) throw new Error('the official toxicity model needs vocabUrl');
  const vocabulary = await fetchJson<Vocabulary>(options.vocabUrl, options.fetchFunc ?? fetch);
  const tokenizer = new UnigramTokenizer(vocabulary);
  options.onProgress?.(0.2);
  const model = await loadGraph(options, 0.2);
  // As in @tensorflow-models/toxicity: a head's label is its output name up to the first '/'.
  const labels = model.outputs.map((o) => o.name.split('/')[0]);
  return {
    labels,
    graph: model,
    async predict(texts) {
      const {values, indices} = batchInputs(texts.map((t) => tokenizer.encode(t)));
      const feeds = {
        Placeholder: tf.tensor1d(values, 'int32'),
        Placeholder_1: tf.tensor2d(indices, [values.length, 2], 'int32'),
      };
      const outputs = await model.executeAsync(feeds) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(outputs) ? outputs : [outputs];
      const data = await Promise.all(list.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose([...list, feeds.Placeholder, feeds.Placeholder_1]);
      return data;
    },
  };
}

/** The build's `client` settings for this page (see builders/demos/toxicity). */
export interface ToxicityPageConfig extends PageConfig {
  source: ToxicitySource;
  modelUrl: string;
  tokenizerUrl?: string;
  vectorizerUrl?: string;
  vocabUrl?: string;
  modelLabels: string[];
  labels: string[];
  threshold: number;
}

/** Where the site published the model, from the page's build-time configuration. */
export function pageOptions(config = readPageConfig() as ToxicityPageConfig): LoadOptions {
  return {
    source: config.source,
    modelUrl: dataUrl(config, config.modelUrl),
    tokenizerUrl: config.tokenizerUrl ? dataUrl(config, config.tokenizerUrl) : undefined,
    vectorizerUrl: config.vectorizerUrl ? dataUrl(config, config.vectorizerUrl) : undefined,
    vocabUrl: config.vocabUrl ? dataUrl(config, config.vocabUrl) : undefined,
  };
}

/**
 * Load the classifier. `threshold` (default 0.9) and `labels` (default: all) as in the
 * original package; `options` says where the published model lives (default: this page's).
 */
export async function load(threshold = 0.9, labels: string[] = [], options: LoadOptions = pageOptions()):
  Promise<ToxicityClassifier> {
  checkThreshold(threshold);
  const engine = options.source === 'official' ? await officialEngine(options)
    : options.source === 'toxblock' ? await toxblockEngine(options) : await embeddedEngine(options);
  options.onProgress?.(1);
  return new ToxicityClassifier(engine, threshold, labels);
}
