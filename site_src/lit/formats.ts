/**
 * The LiT data formats (Python twin: builders/demos/lit/formats.py). Paths are relative to the
 * data root (the folder holding `images/` and `models/`).
 */

/** One entry of `images/info.json`. */
export interface ImageInfo {
  id: string;
  description: string;
  source: string;
  license: string;
  /** Comma-separated example prompts. */
  prompts: string;
}

/** `models/<name>/def.json`. */
export interface ModelDef {
  description: string;
  /** WORDPIECE: a BERT vocabulary (the photo source's MiniLM); no tokenizer.json is read. */
  tokenizer_type: 'BPE' | 'UNIGRAM' | 'WORDPIECE';
  /** exp(t) of the checkpoint. */
  temperature: number;
  pad_value: number;
  max_len: number;
  embedding_size: number;
}

/** `models/<name>/vocabulary.json`: [piece, score] per token id. */
export type Vocabulary = Array<[string, number]>;

/** The parts of SentencePiece's NormalizerSpec the encoder needs. */
export interface NormalizerSpec {
  /** base64 of the Darts trie + replacement strings; '' means no character mapping. */
  precompiled_charsmap: string;
  add_dummy_prefix: boolean;
  remove_extra_whitespaces: boolean;
  escape_whitespaces: boolean;
}

/** `models/<name>/tokenizer.json` (ours; optional, defaults below mirror big_vision's models). */
export interface TokenizerSpec {
  model_type: 'BPE' | 'UNIGRAM';
  unk_id: number;
  eos_id: number;
  bos_id: number;
  pad_id: number;
  control_ids: number[];
  user_defined_ids: number[];
  normalizer: NormalizerSpec;
}

/** The example prompts of an image as a list. */
export function promptList(info: ImageInfo): string[] {
  return info.prompts.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}

/** The key of a prompt in `ztxts.txt`: lower-case, `[^\w ]` removed, spaces collapsed. */
export function canonicalizePrompt(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}_ ]/gu, '').replace(/ +/g, ' ').trim();
}

/** Rows of `<stem>.bin` (float32 little-endian) keyed by the lines of `<stem>.txt`. */
export interface Embeddings {
  keys: string[];
  size: number;
  data: Float32Array;
}

/** Parse `.bin` + `.txt` embeddings; checks the row count. */
export function parseEmbeddings(bin: ArrayBuffer, txt: string, size: number, where = 'embeddings'): Embeddings {
  const keys = txt.split('\n').filter((line, i, all) => line.length > 0 || i < all.length - 1);
  const view = new DataView(bin);
  const count = bin.byteLength / 4;
  if (count !== keys.length * size) {
    throw new Error(`${where}: ${count} floats for ${keys.length} keys of size ${size}`);
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
  return {keys, size, data};
}

/** Row `i` of an embeddings table. */
export function embeddingRow(e: Embeddings, i: number): Float32Array {
  return e.data.subarray(i * e.size, (i + 1) * e.size);
}
