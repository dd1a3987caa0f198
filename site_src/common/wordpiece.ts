/**
 * BERT's WordPiece tokenizer, the twin of builders/wordpiece.py (which matches Hugging Face
 * `tokenizers`): the same three steps, character by character (code points, not UTF-16 units).
 *
 * 1. normalise: drop control characters (Cc, Cf, Co, Cs except tab and line breaks), U+0000 and
 *    U+FFFD; every other whitespace becomes a space; spaces around CJK ideographs; when
 *    lower-casing, strip accents (NFD, drop Mn) and lower-case one character at a time;
 * 2. split on whitespace; every punctuation character (ASCII or Unicode P*) is a word of its own;
 * 3. each word cut into the longest vocabulary pieces from the left (later ones `##`-prefixed);
 *    no such cut, or a word longer than `maxCharsPerWord`: `[UNK]`.
 *
 * `encode` gives BERT's `[CLS] … [SEP] [PAD]…`; `encodeWords` a word index (one id per word).
 * Standalone (no DOM, no TF.js): the app's Text component and the LiT page use it.
 */

export interface WordPieceOptions {
  lowercase?: boolean;
  /** undefined: as `lowercase` (BertNormalizer's rule). */
  stripAccents?: boolean;
  unk?: string;
  prefix?: string;
  maxCharsPerWord?: number;
}

export interface Encoding {
  /** Exactly `length` ids. */
  ids: number[];
  /** How many tokens the text has without specials or padding (more than fit: it was cut). */
  count: number;
  /** How many of them are in `ids`. */
  kept: number;
  truncated: boolean;
}

const CJK_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x4E00, 0x9FFF], [0x3400, 0x4DBF], [0x20000, 0x2A6DF], [0x2A700, 0x2B73F], [0x2B740, 0x2B81F],
  [0x2B820, 0x2CEAF], [0xF900, 0xFAFF], [0x2F800, 0x2FA1F]];
const ASCII_PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const CONTROL = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u;
const SPACE_SEPARATOR = /^\p{Zs}$/u;
const PUNCTUATION = /^\p{P}$/u;
const NONSPACING_MARK = /^\p{Mn}$/u;
// What Python's str.split() splits on, for the characters left after cleaning (Cc and Cf are gone).
const WHITESPACE = /\s+/u;

function isControl(c: string): boolean {
  return c !== '\t' && c !== '\n' && c !== '\r' && CONTROL.test(c);
}

function isWhitespace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || SPACE_SEPARATOR.test(c);
}

function isCjk(c: string): boolean {
  const cp = c.codePointAt(0) ?? 0;
  return CJK_RANGES.some(([lo, hi]) => lo <= cp && cp <= hi);
}

function isPunctuation(c: string): boolean {
  return ASCII_PUNCTUATION.has(c) || PUNCTUATION.test(c);
}

/** The tokens of a `vocab.txt` (one per line, id = line number), each line trimmed, as builders/wordpiece.py reads it. */
export function readVocab(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  // Python's str.strip(): Unicode whitespace and the \x1c-\x1f separators
  return lines.map((line) => line.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/gu, ''));
}

export class WordPiece {
  readonly vocab: Map<string, number>;
  readonly lowercase: boolean;
  readonly stripAccents: boolean;
  readonly unk: string;
  readonly prefix: string;
  readonly maxCharsPerWord: number;

  /** `tokens` in id order (a repeated token keeps its last id) or a token -> id map. */
  constructor(tokens: readonly string[] | Map<string, number>, options: WordPieceOptions = {}) {
    this.vocab = tokens instanceof Map ? tokens : new Map(tokens.map((t, i) => [t, i]));
    this.lowercase = options.lowercase ?? true;
    this.stripAccents = options.stripAccents ?? this.lowercase;
    this.unk = options.unk ?? '[UNK]';
    this.prefix = options.prefix ?? '##';
    this.maxCharsPerWord = options.maxCharsPerWord ?? 100;
  }

  normalize(text: string): string {
    let out = '';
    for (const c of text) {
      if (c === '\0' || c === '\uFFFD' || isControl(c)) continue;
      const d = isWhitespace(c) ? ' ' : c;
      out += isCjk(d) ? ` ${d} ` : d;
    }
    if (this.stripAccents) {
      let kept = '';
      for (const c of out.normalize('NFD')) if (!NONSPACING_MARK.test(c)) kept += c;
      out = kept;
    }
    if (this.lowercase) {
      // one character at a time (Rust's char::to_lowercase): no Greek final-sigma rule
      let lower = '';
      for (const c of out) lower += c.toLowerCase();
      out = lower;
    }
    return out;
  }

  words(text: string): string[] {
    const out: string[] = [];
    for (const chunk of this.normalize(text).split(WHITESPACE)) {
      let word = '';
      for (const c of chunk) {
        if (isPunctuation(c)) {
          if (word) out.push(word);
          out.push(c);
          word = '';
        } else {
          word += c;
        }
      }
      if (word) out.push(word);
    }
    return out;
  }

  pieces(word: string): string[] {
    const chars = Array.from(word);
    if (chars.length > this.maxCharsPerWord) return [this.unk];
    const pieces: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let piece = '';
      while (end > start) {
        const body = chars.slice(start, end).join('');
        piece = start === 0 ? body : this.prefix + body;
        if (this.vocab.has(piece)) break;
        end -= 1;
      }
      if (end === start) return [this.unk];
      pieces.push(piece);
      start = end;
    }
    return pieces;
  }

  tokenize(text: string): string[] {
    return this.words(text).flatMap((w) => this.pieces(w));
  }

  private id(token: string): number {
    const id = this.vocab.get(token);
    if (id === undefined) throw new Error(`the vocabulary has no ${token} token`);
    return id;
  }

  /** `[CLS] pieces [SEP]` padded with `[PAD]` (0 when absent) to `length`; long texts lose their end. */
  encode(text: string, length: number): Encoding {
    const ids = this.tokenize(text).map((p) => this.id(p));
    const kept = Math.min(ids.length, Math.max(0, length - 2));
    const out = [this.id('[CLS]'), ...ids.slice(0, kept), this.id('[SEP]')];
    const pad = this.vocab.get('[PAD]') ?? 0;
    while (out.length < length) out.push(pad);
    return {ids: out, count: ids.length, kept, truncated: ids.length > kept};
  }

  /** A word index: one id per word (`unk`'s when unknown), padded with `pad`'s id to `length`. */
  encodeWords(text: string, length: number, pad = '[PAD]'): Encoding {
    const words = this.words(text);
    const unk = this.id(this.unk);
    const kept = Math.min(words.length, length);
    const out = words.slice(0, kept).map((w) => this.vocab.get(w) ?? unk);
    const padId = this.id(pad);
    while (out.length < length) out.push(padId);
    return {ids: out, count: words.length, kept, truncated: words.length > kept};
  }
}
