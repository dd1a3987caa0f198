/**
 * scikit-learn's `TfidfVectorizer.transform`, for the settings `alt-profanity-check` uses:
 * lower-case, `token_pattern = (?u)\b\w\w+\b`, English stop words, unigrams, raw term
 * counts times idf, l2 row norm. Everything comes from `vectorizer.json` (written by
 * `builders/demos/toxicity/profanity.py`), including Python's own `\w` character set.
 */

/** The fields of `vectorizer.json` (Python: `profanity.vectorizer_spec`). */
export interface VectorizerSpec {
  format: 'tfidf-vectorizer/1';
  source: string;
  label: string;
  /** Vocabulary term of each column. */
  terms: string[];
  /** idf weight of each column. */
  idf: number[];
  stop_words: string[];
  token_pattern: string;
  lowercase: boolean;
  strip_accents: null;
  ngram_range: [number, number];
  sublinear_tf: boolean;
  norm: 'l2';
  /** Sorted, disjoint [lo, hi] code-point ranges that Python's `re` treats as `\w`. */
  word_char_ranges: [number, number][];
}

const SUPPORTED_PATTERN = '(?u)\\b\\w\\w+\\b';

/** Check that `spec` is a vectorizer this port implements; throws naming the field otherwise. */
export function checkSpec(spec: VectorizerSpec): void {
  const problems: string[] = [];
  if (spec.format !== 'tfidf-vectorizer/1') problems.push(`format ${JSON.stringify(spec.format)}`);
  if (spec.token_pattern !== SUPPORTED_PATTERN) problems.push(`token_pattern ${JSON.stringify(spec.token_pattern)}`);
  if (!spec.lowercase) problems.push('lowercase false');
  if (spec.strip_accents !== null) problems.push(`strip_accents ${JSON.stringify(spec.strip_accents)}`);
  if (spec.ngram_range?.[0] !== 1 || spec.ngram_range?.[1] !== 1) problems.push(`ngram_range ${JSON.stringify(spec.ngram_range)}`);
  if (spec.norm !== 'l2') problems.push(`norm ${JSON.stringify(spec.norm)}`);
  if (spec.terms?.length !== spec.idf?.length) problems.push('terms and idf differ in length');
  if (problems.length) throw new Error(`vectorizer.json: unsupported settings: ${problems.join(', ')}`);
}

export class TfidfVectorizer {
  readonly size: number;
  private readonly columns = new Map<string, number>();
  private readonly stopWords: Set<string>;
  private readonly idf: Float64Array;
  private readonly rangeStarts: Uint32Array;
  private readonly rangeEnds: Uint32Array;

  constructor(readonly spec: VectorizerSpec) {
    checkSpec(spec);
    spec.terms.forEach((term, column) => this.columns.set(term, column));
    this.size = spec.terms.length;
    this.idf = Float64Array.from(spec.idf);
    this.stopWords = new Set(spec.stop_words);
    this.rangeStarts = Uint32Array.from(spec.word_char_ranges, (r) => r[0]);
    this.rangeEnds = Uint32Array.from(spec.word_char_ranges, (r) => r[1]);
  }

  /** Whether code point `cp` is a `\w` character for Python's `re` (binary search). */
  isWordChar(cp: number): boolean {
    let lo = 0;
    let hi = this.rangeStarts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cp < this.rangeStarts[mid]) hi = mid - 1;
      else if (cp > this.rangeEnds[mid]) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /**
   * sklearn's analyzer: `str.lower()`, then every match of `\b\w\w+\b`, i.e. each maximal
   * run of two or more word characters (counted in code points, as Python does), minus stop words.
   */
  tokenize(text: string): string[] {
    // String.prototype.toLowerCase applies the same full Unicode case mapping as str.lower(),
    // including final sigma; tests/toxicity compare them over every code point.
    const lower = this.spec.lowercase ? text.toLowerCase() : text;
    const tokens: string[] = [];
    let run: string[] = [];
    const flush = () => {
      if (run.length >= 2) {
        const token = run.join('');
        if (!this.stopWords.has(token)) tokens.push(token);
      }
      run = [];
    };
    for (const ch of lower) {
      if (this.isWordChar(ch.codePointAt(0)!)) run.push(ch);
      else flush();
    }
    flush();
    return tokens;
  }

  /** TF-IDF row of one text as sparse (column, value) pairs, computed in float64 like sklearn. */
  transformOne(text: string): Map<number, number> {
    const counts = new Map<number, number>();
    for (const token of this.tokenize(text)) {
      const column = this.columns.get(token);
      if (column !== undefined) counts.set(column, (counts.get(column) ?? 0) + 1);
    }
    const row = new Map<number, number>();
    let squares = 0;
    // sklearn iterates the CSR row in column order; do the same so sums round identically.
    for (const column of [...counts.keys()].sort((a, b) => a - b)) {
      const tf = this.spec.sublinear_tf ? Math.log(counts.get(column)!) + 1 : counts.get(column)!;
      const value = tf * this.idf[column];
      row.set(column, value);
      squares += value * value;
    }
    if (squares > 0) {
      const norm = Math.sqrt(squares);
      for (const [column, value] of row) row.set(column, value / norm);
    }
    return row;
  }

  /** Dense float32 [texts.length, size] matrix, the model's input. */
  transform(texts: string[]): Float32Array {
    const out = new Float32Array(texts.length * this.size);
    texts.forEach((text, i) => {
      for (const [column, value] of this.transformOne(text)) out[i * this.size + column] = value;
    });
    return out;
  }
}
