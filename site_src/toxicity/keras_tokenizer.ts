/**
 * Keras' `Tokenizer.texts_to_sequences` followed by `pad_sequences(maxlen)`, as tox-block 0.1.2
 * uses them (Python: `builders/demos/toxicity/toxblock.py`, `KerasTokenizer`): lower-case, every
 * filter character becomes the split character, split on it, drop empty words, map each word to
 * its id and drop unknown words and ids >= num_words (the tokenizer has no OOV token), keep the
 * last `max_len` ids (pre-truncation) and put zeros in front (pre-padding).
 */

/** The fields of `keras_tokenizer.json` (Python: `toxblock_build.tokenizer_spec`). */
export interface KerasTokenizerSpec {
  format: 'keras-tokenizer/1';
  source: string;
  /** `words[i]` has id i + 1 (id 0 is padding); only ids below num_words are listed. */
  words: string[];
  num_words: number;
  filters: string;
  lower: boolean;
  split: string;
  max_len: number;
  padding: 'pre';
  truncating: 'pre';
  labels: string[];
}

/** Check that `spec` is a tokenizer this port implements; throws naming the fields otherwise. */
export function checkTokenizerSpec(spec: KerasTokenizerSpec): void {
  const problems: string[] = [];
  if (spec.format !== 'keras-tokenizer/1') problems.push(`format ${JSON.stringify(spec.format)}`);
  if (spec.padding !== 'pre') problems.push(`padding ${JSON.stringify(spec.padding)}`);
  if (spec.truncating !== 'pre') problems.push(`truncating ${JSON.stringify(spec.truncating)}`);
  if (typeof spec.split !== 'string' || spec.split.length === 0) problems.push(`split ${JSON.stringify(spec.split)}`);
  if (typeof spec.filters !== 'string') problems.push('filters not a string');
  if (!Array.isArray(spec.words) || spec.words.length !== spec.num_words - 1) {
    problems.push(`${spec.words?.length} words for num_words ${spec.num_words}`);
  }
  if (!(spec.max_len > 0)) problems.push(`max_len ${spec.max_len}`);
  if (problems.length) throw new Error(`keras_tokenizer.json: unsupported settings: ${problems.join(', ')}`);
}

export class KerasTokenizer {
  readonly maxLen: number;
  private readonly ids = new Map<string, number>();
  private readonly filters: Set<string>;

  constructor(readonly spec: KerasTokenizerSpec) {
    checkTokenizerSpec(spec);
    spec.words.forEach((word, i) => this.ids.set(word, i + 1));
    // Keras translates each filter character (a code point: Python iterates the str) to `split`.
    this.filters = new Set(Array.from(spec.filters));
    this.maxLen = spec.max_len;
  }

  /** `text_to_word_sequence`: lower-case (JS and Python agree on every code point), filters, split. */
  words(text: string): string[] {
    const lower = this.spec.lower ? text.toLowerCase() : text;
    let replaced = '';
    for (const ch of lower) replaced += this.filters.has(ch) ? this.spec.split : ch;
    return replaced.split(this.spec.split).filter((w) => w.length > 0);
  }

  /** The ids of the known words (ids >= num_words were never listed, so they drop out too). */
  sequence(text: string): number[] {
    const out: number[] = [];
    for (const word of this.words(text)) {
      const id = this.ids.get(word);
      if (id !== undefined && id < this.spec.num_words) out.push(id);
    }
    return out;
  }

  /** Row-major int32 [texts.length, maxLen]: the last maxLen ids of each text, zeros in front. */
  encode(texts: string[]): Int32Array {
    const out = new Int32Array(texts.length * this.maxLen);
    texts.forEach((text, row) => {
      const ids = this.sequence(text).slice(-this.maxLen);
      out.set(ids, row * this.maxLen + this.maxLen - ids.length);
    });
    return out;
  }
}
