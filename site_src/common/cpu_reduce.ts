/**
 * Reductions over the trailing axes (`Sum`, `Mean`, `Max`) and `Softmax` for TF.js's CPU backend,
 * on float32. These are layer norm's and attention's reductions: contiguous rows. TF.js 4.22's
 * `Mean` divides every element before summing (two passes, two allocations), and its `Softmax`
 * chains five kernels whose broadcasting subtract and divide take the slow per-element path.
 * Sums are accumulated in float64.
 */

export type RowReduction = 'Sum' | 'Mean' | 'Max';

/** `rows` results, one per run of `n` contiguous values of `x`. */
export function reduceRows(kind: RowReduction, x: Float32Array, rows: number, n: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0, p = 0; r < rows; r++, p += n) {
    if (kind === 'Max') {
      let m = n > 0 ? x[p] : -Infinity;
      for (let j = 1; j < n; j++) {
        const v = x[p + j];
        if (v > m || Number.isNaN(v)) m = v;  // NaN wins, as in TF.js
        if (Number.isNaN(m)) break;
      }
      out[r] = m;
    } else {
      let s = 0;
      for (let j = 0; j < n; j++) s += x[p + j];
      out[r] = kind === 'Mean' ? s / n : s;
    }
  }
  return out;
}

/** Softmax of each run of `n` contiguous values of `x`. */
export function softmaxRows(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let p = 0; p < x.length; p += n) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) if (x[p + j] > m) m = x[p + j];
    let s = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp(x[p + j] - m);
      out[p + j] = e;
      s += e;
    }
    for (let j = 0; j < n; j++) out[p + j] /= s;
  }
  return out;
}

/**
 * For a reduction of `shape` over `axes`: the number of rows and the row length, when the axes are
 * exactly the trailing ones (after normalising negative axes); null otherwise.
 */
export function trailingRows(shape: readonly number[], axes: readonly number[]): [number, number] | null {
  const rank = shape.length;
  const sorted = [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  if (sorted.length === 0 || sorted.some((a, i) => a !== rank - sorted.length + i)) return null;
  const n = sorted.reduce((size, a) => size * shape[a], 1);
  const rows = shape.slice(0, rank - sorted.length).reduce((x, y) => x * y, 1);
  return [rows, n];
}
