/**
 * The LiT model in the browser: tokenizer + TF.js text tower + precomputed image and prompt
 * embeddings (the API of big_vision's lit_demo, usable on its own through `exports.ts`).
 */
import * as tf from '@tensorflow/tfjs';

import {loadModel} from '../common/model';
import {warmUp} from '../common/warmup';
import {canonicalizePrompt, embeddingRow, parseEmbeddings, promptList} from './formats';
import type {Embeddings, ImageInfo, ModelDef, TokenizerSpec, Vocabulary} from './formats';
import {dot, softmax} from './math';
import {LitTokenizer} from './tokenizer';

let dataRoot = new URL('data/', typeof document === 'undefined' ? 'http://localhost/' : document.baseURI).href;

/** Where data lives, as in the original demo: `url` is the folder that contains `data/`. */
export function setBaseUrl(url: string): void {
  const base = new URL(url, typeof document === 'undefined' ? undefined : document.baseURI).href;
  setDataRoot(base.endsWith('/') ? base + 'data/' : base + '/data/');
}

/** Point directly at the data folder (the one holding `images/` and `models/`). */
export function setDataRoot(url: string): void {
  const base = new URL(url, typeof document === 'undefined' ? undefined : document.baseURI).href;
  dataRoot = base.endsWith('/') ? base : base + '/';
}

/** Absolute URL of a file under the data folder. */
export function dataUrl(path: string): string {
  return new URL(path, dataRoot).href;
}

/** URL of the 224x224 JPEG of image `id`. */
export function getImageUrl(id: string): string {
  return dataUrl(`images/${encodeURIComponent(id)}.jpg`);
}

async function fetchOk(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`could not fetch ${url} (${err instanceof Error ? err.message : String(err)}); ` +
      'a data folder on another origin must send Access-Control-Allow-Origin');
  }
  if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status}`);
  return response;
}

async function fetchJson<T>(url: string): Promise<T> {
  return (await (await fetchOk(url)).json()) as T;
}

/** The example images: `info.json` and helpers. */
export class ImageData {
  infos: ImageInfo[] = [];

  /** Fetch `images/info.json`. */
  async load(): Promise<this> {
    this.infos = await fetchJson<ImageInfo[]>(dataUrl('images/info.json'));
    return this;
  }

  get length(): number {
    return this.infos.length;
  }

  /** Index of image `id`, or -1. */
  indexOf(id: string): number {
    return this.infos.findIndex((info) => info.id === id);
  }

  /** Example prompts of image `idx`. */
  prompts(idx: number): string[] {
    return promptList(this.infos[idx]);
  }

  /** Image URL of image `idx`. */
  url(idx: number): string {
    return getImageUrl(this.infos[idx].id);
  }
}

/** Progress callback: fraction in [0, 1] and what is loading. */
export type Progress = (fraction: number, message: string) => void;

/** One LiT text tower with its tokenizer and precomputed embeddings. */
export class Model {
  def: ModelDef | null = null;
  tokenizer: LitTokenizer | null = null;
  zimgs: Embeddings | null = null;
  ztxts: Embeddings | null = null;
  graph: tf.GraphModel | null = null;
  private loading: Promise<void> | null = null;

  constructor(readonly name: string) {}

  get ready(): boolean {
    return this.graph !== null;
  }

  /** URL of a file of this model. */
  url(file: string): string {
    return dataUrl(`models/${encodeURIComponent(this.name)}/${file}`);
  }

  /** Fetch definition, vocabulary, embeddings and the TF.js graph (idempotent). */
  load(progress: Progress = () => {}): Promise<void> {
    this.loading ??= this.doLoad(progress).catch((err) => {
      this.loading = null;
      throw err;
    });
    return this.loading;
  }

  private async doLoad(progress: Progress): Promise<void> {
    progress(0, 'definition');
    const def = await fetchJson<ModelDef>(this.url('def.json'));
    const [vocabulary, spec] = await Promise.all([
      fetchJson<Vocabulary>(this.url('vocabulary.json')),
      // Ours; the original demo's data has none, then the tokenizer uses its defaults.
      fetch(this.url('tokenizer.json')).then((r) => (r.ok ? (r.json() as Promise<TokenizerSpec>) : null))
        .catch(() => null),
    ]);
    this.tokenizer = LitTokenizer.fromFiles(def, vocabulary, spec);
    progress(0.05, 'embeddings');
    this.zimgs = await this.fetchEmbeddings('zimgs', def.embedding_size);
    this.ztxts = await this.fetchEmbeddings('ztxts', def.embedding_size);
    this.def = def;
    progress(0.1, 'text encoder');
    const graph = await loadModel(this.url('tfjs/model.json'), (f) => progress(0.1 + 0.85 * f, 'text encoder'));
    // Warm up with the article's batch (5 prompts) so WebGL compiles the shaders for that shape
    // before the first Compute, as the original demo does.
    const tokens = tf.zeros([5, def.max_len], 'int32');
    await warmUp(graph, {[graph.inputs[0].name]: tokens});
    tokens.dispose();
    this.graph = graph;
    progress(1, 'ready');
  }

  private async fetchEmbeddings(stem: string, size: number): Promise<Embeddings> {
    const [bin, txt] = await Promise.all([
      fetchOk(this.url(`${stem}.bin`)).then((r) => r.arrayBuffer()),
      fetchOk(this.url(`${stem}.txt`)).then((r) => r.text()),
    ]);
    return parseEmbeddings(bin, txt, size, this.url(`${stem}.bin`));
  }

  private need<T>(value: T | null, what: string): T {
    if (value === null) throw new Error(`model '${this.name}' is not loaded yet (${what}); call load() first`);
    return value;
  }

  /** int32 [texts.length, max_len] token ids, padded with pad_value, sticky end token. */
  tokenize(texts: string[]): tf.Tensor2D {
    const tokenizer = this.need(this.tokenizer, 'tokenizer');
    return tf.tensor2d(tokenizer.tokenize(texts), [texts.length, tokenizer.maxLen], 'int32');
  }

  /** L2-normalised text embeddings [n, embedding_size] of a token tensor. */
  async embed(tokens: tf.Tensor2D): Promise<Float32Array> {
    const graph = this.need(this.graph, 'text encoder');
    const out = graph.execute(tokens) as tf.Tensor;
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /** True when every text has a precomputed embedding (no text encoder needed). */
  allPrecomputed(texts: string[]): boolean {
    const ztxts = this.ztxts;
    return ztxts !== null && texts.every((t) => ztxts.keys.includes(canonicalizePrompt(t)));
  }

  /** Text embeddings, from `ztxts` when every prompt is known, else from the text encoder. */
  async textEmbeddings(texts: string[]): Promise<Float32Array[]> {
    const ztxts = this.need(this.ztxts, 'prompt embeddings');
    if (this.allPrecomputed(texts)) {
      return texts.map((t) => embeddingRow(ztxts, ztxts.keys.indexOf(canonicalizePrompt(t))));
    }
    const size = this.need(this.def, 'definition').embedding_size;
    const tokens = this.tokenize(texts);
    try {
      const flat = await this.embed(tokens);
      return texts.map((_, i) => flat.subarray(i * size, (i + 1) * size));
    } finally {
      tokens.dispose();
    }
  }

  /** Cosine similarities [texts][images] of `texts` with the images at `imgIdxs`. */
  async computeSimilarities(texts: string[], imgIdxs: number[]): Promise<number[][]> {
    const zimgs = this.need(this.zimgs, 'image embeddings');
    for (const i of imgIdxs) {
      if (!(i >= 0 && i < zimgs.keys.length)) throw new Error(`no image with index ${i} (have ${zimgs.keys.length})`);
    }
    const ztxt = await this.textEmbeddings(texts);
    return ztxt.map((t) => imgIdxs.map((i) => dot(t, embeddingRow(zimgs, i))));
  }

  /** softmax(temperature * similarity) over `texts` for image `imgIdx`. */
  async computeProbabilities(texts: string[], imgIdx: number): Promise<number[]> {
    const sims = await this.computeSimilarities(texts, [imgIdx]);
    return softmax(sims.map((row) => row[0]), this.need(this.def, 'definition').temperature);
  }
}
