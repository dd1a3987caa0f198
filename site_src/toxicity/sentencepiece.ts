/**
 * SentencePiece unigram tokenizer, as used by the Universal Sentence Encoder vocabulary that
 * the official toxicity model reads: NFKC, spaces become `▁` with a `▁` prefix, then the
 * Viterbi path that maximises the sum of piece scores. A character no piece starts with
 * becomes the unknown id with SentencePiece's penalty (lowest score - 10); consecutive
 * unknowns merge into one, as in SentencePiece.
 */

export const SEPARATOR = '\u2581';
/** USE's vocabulary starts with 6 reserved symbols that never match text. */
export const USE_RESERVED_SYMBOLS = 6;
const UNK_PENALTY = 10;

/** `[piece, score]` pairs; the index is the token id. */
export type Vocabulary = [string, number][];

export interface UnigramOptions {
  /** Leading entries that are control symbols, not text pieces (USE: 6, SentencePiece models: usually 3). */
  reservedSymbols?: number;
  /** Id emitted for unknown characters. */
  unkId?: number;
}

/** USE's input normalisation: NFKC, then `▁` before the text and in place of every space. */
export function normalize(text: string): string {
  const normalized = text.normalize('NFKC');
  return normalized.length > 0 ? SEPARATOR + normalized.replace(/ /g, SEPARATOR) : normalized;
}

export class UnigramTokenizer {
  private readonly pieces = new Map<string, {id: number; score: number}>();
  private readonly maxPieceLength: number;
  private readonly unkId: number;
  private readonly unkScore: number;

  constructor(vocabulary: Vocabulary, options: UnigramOptions = {}) {
    const reserved = options.reservedSymbols ?? USE_RESERVED_SYMBOLS;
    this.unkId = options.unkId ?? 0;
    let maxLength = 1;
    let minScore = Infinity;
    vocabulary.forEach(([piece, score], id) => {
      if (id < reserved || piece.length === 0) return;
      if (!this.pieces.has(piece)) this.pieces.set(piece, {id, score});
      maxLength = Math.max(maxLength, [...piece].length);
      minScore = Math.min(minScore, score);
    });
    if (this.pieces.size === 0) throw new Error('the vocabulary has no pieces after the reserved symbols');
    this.maxPieceLength = maxLength;
    this.unkScore = minScore - UNK_PENALTY;
  }

  /** Token ids of `text`. */
  encode(text: string): number[] {
    const chars = [...normalize(text)];
    const n = chars.length;
    const best = new Float64Array(n + 1).fill(-Infinity);
    const backId = new Int32Array(n + 1);
    const backStart = new Int32Array(n + 1);
    best[0] = 0;
    for (let start = 0; start < n; start++) {
      if (best[start] === -Infinity) continue;
      let hasSingle = false;
      let candidate = '';
      for (let length = 1; length <= this.maxPieceLength && start + length <= n; length++) {
        candidate += chars[start + length - 1];
        const piece = this.pieces.get(candidate);
        if (!piece) continue;
        if (length === 1) hasSingle = true;
        this.relax(best, backId, backStart, start, start + length, piece.score, piece.id);
      }
      if (!hasSingle) this.relax(best, backId, backStart, start, start + 1, this.unkScore, this.unkId);
    }
    const ids: number[] = [];
    for (let end = n; end > 0; end = backStart[end]) ids.push(backId[end]);
    ids.reverse();
    return ids.filter((id, i) => !(id === this.unkId && i > 0 && ids[i - 1] === this.unkId));
  }

  private relax(best: Float64Array, backId: Int32Array, backStart: Int32Array, start: number, end: number,
    score: number, id: number): void {
    const total = best[start] + score;
    if (total > best[end]) {
      best[end] = total;
      backId[end] = id;
      backStart[end] = start;
    }
  }
}

/**
 * The official model's inputs for a batch: flattened token ids and, per token, its
 * `[sentence, position]` index.
 */
export function batchInputs(encodings: number[][]): {values: Int32Array; indices: Int32Array} {
  const total = encodings.reduce((sum, e) => sum + e.length, 0);
  const values = new Int32Array(total);
  const indices = new Int32Array(total * 2);
  let k = 0;
  encodings.forEach((encoding, sentence) => {
    encoding.forEach((id, position) => {
      values[k] = id;
      indices[2 * k] = sentence;
      indices[2 * k + 1] = position;
      k++;
    });
  });
  return {values, indices};
}
