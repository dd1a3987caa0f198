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
import {BertTokenizer, LitTokenizer} from './tokenizer';
import type {TextTokenizer} from './tokenizer';

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

type Fetch = (url: string) => Promise<Response>;

/** `fetch`, with a network failure (often a missing CORS header) turned into an Error naming the URL. */
async function fetchResponse(url: string, fetchFn: Fetch = fetch): Promise<Response> {
  try {
    return await fetchFn(url);
  } catch (err) {
    throw new Error(`could not fetch ${url} (${err instanceof Error ? err.message : String(err)}); ` +
      'a data folder on another origin must send Access-Control-Allow-Origin');
  }
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetchResponse(url);
  if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status}`);
  return response;
}

const REBUILD = 'rebuild the site (python -m builders.build) to write it again';

/**
 * Parse and check `tokenizer.json` against a vocabulary of `vocabularySize` pieces. A malformed
 * file throws (naming the URL and the field): tokenizing with guessed ids would be silently wrong.
 */
export function parseTokenizerSpec(text: string, url: string, vocabularySize: number): TokenizerSpec {
  let spec: TokenizerSpec;
  try {
    spec = JSON.parse(text) as TokenizerSpec;
  } catch (err) {
    throw new Error(`${url} is not valid JSON (${err instanceof Error ? err.message : String(err)}); ${REBUILD}`);
  }
  const fail = (field: string, want: string): never => {
    throw new Error(`${url}: ${field} must be ${want}, got ${JSON.stringify(pick(spec, field))}; ${REBUILD}`);
  };
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new Error(`${url} must hold a JSON object, got ${JSON.stringify(spec)}; ${REBUILD}`);
  }
  if (spec.model_type !== 'BPE' && spec.model_type !== 'UNIGRAM') fail('model_type', '"BPE" or "UNIGRAM"');
  const isId = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min && (v as number) < vocabularySize;
  const range = (min: number) => `an integer id in [${min}, ${vocabularySize}) (the vocabulary's size)`;
  if (!isId(spec.unk_id, 0)) fail('unk_id', range(0));
  if (!isId(spec.eos_id, 0)) fail('eos_id', range(0));
  if (!isId(spec.bos_id, -1)) fail('bos_id', range(-1));
  if (!isId(spec.pad_id, -1)) fail('pad_id', range(-1));
  for (const field of ['control_ids', 'user_defined_ids'] as const) {
    const ids: unknown = spec[field];
    if (!Array.isArray(ids) || !ids.every((id) => isId(id, 0))) {
      fail(field, `a list of integer ids in [0, ${vocabularySize})`);
    }
  }
  const n = spec.normalizer;
  if (typeof n !== 'object' || n === null) fail('normalizer', 'an object');
  if (typeof n.precompiled_charsmap !== 'string') fail('normalizer.precompiled_charsmap', 'a (base64) string');
  for (const flag of ['add_dummy_prefix', 'remove_extra_whitespaces', 'escape_whitespaces'] as const) {
    if (typeof n[flag] !== 'boolean') fail(`normalizer.${flag}`, 'true or false');
  }
  return spec;
}

function pick(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (typeof v === 'object' && v !== null ?
    (v as Record<string, unknown>)[key] : undefined), value);
}

/** `tokenizer.json` as fetched: its spec, or, where the folder has none, null and why that matters. */
export interface TokenizerFile {
  spec: TokenizerSpec | null;
  warning: string | null;
}

/**
 * Fetch `tokenizer.json`. Only a 404 is accepted, as the original demo's data has none (then the
 * tokenizer uses its defaults, and the caller shows `warning`); any other failure throws.
 */
export async function fetchTokenizerSpec(url: string, vocabulary: Vocabulary | Promise<Vocabulary>,
  fetchFn: Fetch = fetch): Promise<TokenizerFile> {
  const [response, pieces] = await Promise.all([fetchResponse(url, fetchFn), vocabulary]);
  if (response.status === 404) {
    return {spec: null, warning: `${url} not found (HTTP 404): tokenizing with the original LiT demo's defaults, ` +
      'which match Python only for plain lower-case text; rebuild the site to publish tokenizer.json'};
  }
  if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status}`);
  return {spec: parseTokenizerSpec(await response.text(), url, pieces.length), warning: null};
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
  tokenizer: TextTokenizer | null = null;
  zimgs: Embeddings | null = null;
  ztxts: Embeddings | null = null;
  graph: tf.GraphModel | null = null;
  /** What loading found but could work around (e.g. no tokenizer.json): for the page to show. */
  warnings: string[] = [];
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
    const vocabularyFetch = fetchJson<Vocabulary>(this.url('vocabulary.json'));
    if (def.tokenizer_type === 'WORDPIECE') {
      // A BERT vocabulary: BERT's fixed WordPiece rules (the builder checks the model uses them).
      this.tokenizer = new BertTokenizer(await vocabularyFetch, def.max_len);
    } else {
      // Ours; the original demo's data has none, then the tokenizer uses its defaults (and says so).
      const [vocabulary, {spec, warning}] = await Promise.all([vocabularyFetch,
        fetchTokenizerSpec(this.url('tokenizer.json'), vocabularyFetch)]);
      if (warning) {
        console.warn(`LiT model '${this.name}': ${warning}`);
        if (!this.warnings.includes(warning)) this.warnings.push(warning);
      }
      this.tokenizer = LitTokenizer.fromFiles(def, vocabulary, spec);
    }
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

  /** The texts (as typed) that are longer than the text encoder's max_len and so are cut. */
  truncatedTexts(texts: string[]): string[] {
    const tokenizer = this.need(this.tokenizer, 'tokenizer');
    return texts.filter((t) => tokenizer.truncated(canonicalizePrompt(t)));
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
    // The encoder sees a prompt as the precomputed ones were embedded (canonicalised): case,
    // punctuation and runs of spaces never change a score, whichever path computes it.
    const tokens = this.tokenize(texts.map(canonicalizePrompt));
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
