/**
 * SentencePiece BPE and unigram encoders giving the ids the Python `sentencepiece` library
 * gives, plus LiT's fixed-length encoding with a "sticky" end token: `</s>` is appended and
 * stays last when a text is truncated to `max_len` (as big_vision and our Python builder do).
 */

import {WordPiece} from '../common/wordpiece';
import type {ModelDef, TokenizerSpec, Vocabulary} from './formats';
import {Normalizer} from './normalizer';

/** What the LiT model needs of a tokenizer: fixed-length int32 rows, and whether a text was cut. */
export interface TextTokenizer {
  readonly maxLen: number;
  /** int32 [texts.length * maxLen], row-major, padded. */
  tokenize(texts: string[]): Int32Array;
  /** True when `text` has more tokens than fit in `maxLen` (the end is cut off). */
  truncated(text: string): boolean;
}

/** Bytes of `s` in UTF-8 (the C++ library compares piece sizes in bytes). */
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

interface Pair {
  left: number;
  right: number;
  score: number;
  size: number;
}

/** Max-heap of merge candidates: higher score first, then the leftmost. */
class PairQueue {
  private items: Pair[] = [];

  private before(a: Pair, b: Pair): boolean {
    return a.score > b.score || (a.score === b.score && a.left < b.left);
  }

  push(p: Pair): void {
    const items = this.items;
    items.push(p);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): Pair | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && this.before(items[l], items[best])) best = l;
        if (r < items.length && this.before(items[r], items[best])) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best], items[i]];
        i = best;
      }
    }
    return top;
  }
}

/** Defaults for data without `tokenizer.json` (the original demo's): special pieces found by
 * name, and Unicode NFKC in place of the model's exact character map. */
export function defaultSpec(vocabulary: Vocabulary, type: 'BPE' | 'UNIGRAM'): TokenizerSpec {
  const find = (piece: string) => vocabulary.findIndex(([p]) => p === piece);
  const control = ['<pad>', '<s>', '</s>'].map(find).filter((i) => i >= 0);
  return {
    model_type: type, unk_id: Math.max(find('<unk>'), 0), eos_id: find('</s>'), bos_id: find('<s>'),
    pad_id: find('<pad>'), control_ids: control, user_defined_ids: [],
    normalizer: {precompiled_charsmap: '', add_dummy_prefix: true, remove_extra_whitespaces: true,
      escape_whitespaces: true},
  };
}

/** A SentencePiece model (BPE or unigram) rebuilt from `vocabulary.json` + `tokenizer.json`. */
export class SentencePiece {
  private readonly pieces = new Map<string, number>();
  private readonly normalizer: Normalizer;
  private readonly userDefined: Set<number>;
  private readonly maxPieceChars: number;
  private readonly minScore: number;
  private readonly maxScore: number;

  constructor(private readonly vocabulary: Vocabulary, private readonly spec: TokenizerSpec,
              private readonly nfkcFallback = false) {
    const reserved = new Set([...spec.control_ids, spec.unk_id]);
    this.userDefined = new Set(spec.user_defined_ids);
    let maxChars = 1;
    let minScore = Infinity;
    let maxScore = -Infinity;
    vocabulary.forEach(([piece, score], id) => {
      if (reserved.has(id)) return;
      this.pieces.set(piece, id);
      maxChars = Math.max(maxChars, Array.from(piece).length);
      if (!this.userDefined.has(id)) {
        minScore = Math.min(minScore, score);
        maxScore = Math.max(maxScore, score);
      }
    });
    this.maxPieceChars = maxChars;
    this.minScore = minScore;
    this.maxScore = maxScore;
    this.normalizer = new Normalizer(spec.normalizer);
  }

  /** Token ids of `text` (no end token), exactly as `SentencePieceProcessor.encode`. */
  encode(text: string): number[] {
    const normalized = this.normalizer.normalize(this.nfkcFallback ? text.normalize('NFKC') : text);
    if (normalized.length === 0) return [];
    const pieces = this.spec.model_type === 'BPE' ? this.encodeBpe(normalized) : this.encodeUnigram(normalized);
    // The library merges runs of unknown pieces into one.
    const ids: number[] = [];
    for (const [, id] of pieces) {
      if (id === this.spec.unk_id && ids.length > 0 && ids[ids.length - 1] === this.spec.unk_id) continue;
      ids.push(id);
    }
    return ids;
  }

  private idOf(piece: string): number {
    return this.pieces.get(piece) ?? this.spec.unk_id;
  }

  /** bpe_model.cc: repeatedly merge the adjacent pair with the best score (leftmost on ties). */
  private encodeBpe(text: string): Array<[string, number]> {
    const chars = Array.from(text);
    const symbols = chars.map((piece, i) => ({piece, prev: i - 1, next: i + 1 < chars.length ? i + 1 : -1}));
    const queue = new PairQueue();
    const maybeAdd = (left: number, right: number) => {
      if (left === -1 || right === -1) return;
      const merged = symbols[left].piece + symbols[right].piece;
      const id = this.pieces.get(merged);
      if (id === undefined) return;
      queue.push({left, right, score: this.vocabulary[id][1], size: utf8Length(merged)});
    };
    for (let i = 1; i < symbols.length; i++) maybeAdd(i - 1, i);
    for (let top = queue.pop(); top; top = queue.pop()) {
      const l = symbols[top.left];
      const r = symbols[top.right];
      // Stale candidate: one side was merged away since it was queued.
      if (l.piece === '' || r.piece === '' || utf8Length(l.piece) + utf8Length(r.piece) !== top.size) continue;
      l.piece += r.piece;
      l.next = r.next;
      if (r.next >= 0) symbols[r.next].prev = top.left;
      r.piece = '';
      maybeAdd(l.prev, top.left);
      maybeAdd(top.left, l.next);
    }
    const out: Array<[string, number]> = [];
    for (let i = 0; i !== -1 && i < symbols.length; i = symbols[i].next) {
      out.push([symbols[i].piece, this.idOf(symbols[i].piece)]);
    }
    return out;
  }

  /** unigram_model.cc (EncodeOptimized): best-scoring segmentation, float32 sums, first wins ties. */
  private encodeUnigram(text: string): Array<[string, number]> {
    const chars = Array.from(text);
    const n = chars.length;
    const unkScore = Math.fround(this.minScore - 10);
    const best = Array.from({length: n + 1}, () => ({score: 0, start: -1, id: -1}));
    best[0].start = 0;
    for (let start = 0; start < n; start++) {
      const base = best[start].score;
      let hasSingle = false;
      let piece = '';
      for (let len = 1; len <= Math.min(this.maxPieceChars, n - start); len++) {
        piece += chars[start + len - 1];
        const id = this.pieces.get(piece);
        if (id === undefined) continue;
        const score = this.userDefined.has(id)
          ? Math.fround(utf8Length(piece) * this.maxScore - 0.1) : this.vocabulary[id][1];
        const candidate = Math.fround(score + base);
        const target = best[start + len];
        if (target.start === -1 || candidate > target.score) {
          target.score = candidate;
          target.start = start;
          target.id = id;
        }
        if (len === 1) hasSingle = true;
      }
      if (!hasSingle) {
        const candidate = Math.fround(unkScore + base);
        const target = best[start + 1];
        if (target.start === -1 || candidate > target.score) {
          target.score = candidate;
          target.start = start;
          target.id = this.spec.unk_id;
        }
      }
    }
    const out: Array<[string, number]> = [];
    for (let end = n; end > 0; end = best[end].start) {
      out.push([chars.slice(best[end].start, end).join(''), best[end].id]);
    }
    return out.reverse();
  }
}

/** LiT's tokenizer: fixed `max_len`, sticky `</s>`, padding with `pad_value`. */
export class LitTokenizer implements TextTokenizer {
  constructor(readonly sp: SentencePiece, readonly eosId: number, readonly maxLen: number,
              readonly padValue: number) {
    if (eosId < 0) throw new Error('the vocabulary has no end token </s>');
  }

  /** Build from the files of a model folder (`spec` null: the original data without tokenizer.json). */
  static fromFiles(def: ModelDef, vocabulary: Vocabulary, spec: TokenizerSpec | null): LitTokenizer {
    const type = def.tokenizer_type;
    if (type === 'WORDPIECE') throw new Error('a WORDPIECE model is tokenised by BertTokenizer, not SentencePiece');
    const fullSpec = spec ?? defaultSpec(vocabulary, type);
    return new LitTokenizer(new SentencePiece(vocabulary, fullSpec, spec === null), fullSpec.eos_id,
      def.max_len, def.pad_value);
  }

  /** Ids of `text` with `</s>` appended; longer texts are cut so that `</s>` stays last. */
  ids(text: string): number[] {
    const ids = [...this.sp.encode(text), this.eosId];
    if (ids.length <= this.maxLen) return ids;
    return [...ids.slice(0, this.maxLen - 1), this.eosId];
  }

  /** int32 [texts.length * maxLen], row-major, padded. */
  tokenize(texts: string[]): Int32Array {
    const out = new Int32Array(texts.length * this.maxLen).fill(this.padValue);
    texts.forEach((text, row) => out.set(this.ids(text), row * this.maxLen));
    return out;
  }

  truncated(text: string): boolean {
    return this.sp.encode(text).length + 1 > this.maxLen;
  }
}

/** BERT's `[CLS] … [SEP] [PAD]…` with a WordPiece vocabulary (`vocabulary.json` pieces in id
 * order): the photo source's MiniLM, tokenised exactly as Python's builders/wordpiece.py. */
export class BertTokenizer implements TextTokenizer {
  readonly wordPiece: WordPiece;

  constructor(vocabulary: Vocabulary, readonly maxLen: number) {
    this.wordPiece = new WordPiece(vocabulary.map(([piece]) => piece));
  }

  tokenize(texts: string[]): Int32Array {
    const out = new Int32Array(texts.length * this.maxLen);
    texts.forEach((text, row) => out.set(this.wordPiece.encode(text, this.maxLen).ids, row * this.maxLen));
    return out;
  }

  truncated(text: string): boolean {
    return this.wordPiece.encode(text, this.maxLen).truncated;
  }
}
