/** Parse the input textarea: one row per line, numbers separated by commas or spaces. */
export function parseRows(text: string, columns: number): number[][] {
  const rows: number[][] = [];
  text.split('\n').forEach((line, i) => {
    const cleaned = line.replace(/[[\]]/g, ' ').trim();
    if (!cleaned) return;
    const values = cleaned.split(/[\s,]+/).filter((s) => s.length > 0).map(Number);
    if (values.length !== columns || values.some((v) => !Number.isFinite(v))) {
      throw new Error(`line ${i + 1}: expected ${columns} numbers, got "${line.trim()}"`);
    }
    rows.push(values);
  });
  if (rows.length === 0) throw new Error('enter at least one row');
  return rows;
}

/** A matrix as the page config holds it: JSON has no NaN or Infinity, so the build writes those as strings. */
export type JsonMatrix = (number | string)[][];

const NON_FINITE: Record<string, number> = {NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity};

/** Numbers of a page-config matrix (see `json_numbers` in builders/demos/jax_example.py). */
export function decodeMatrix(rows: JsonMatrix): number[][] {
  return rows.map((r) => r.map((v) => {
    if (typeof v === 'number') return v;
    if (v in NON_FINITE) return NON_FINITE[v];
    throw new Error(`page config: ${JSON.stringify(v)} is not a number`);
  }));
}

/** One value with 7 significant digits; NaN and infinities by name (JSON.stringify would print `null`). */
function formatNumber(v: number): string {
  return Number.isFinite(v) ? JSON.stringify(Number(v.toPrecision(7))) : String(v);
}

/** Format a matrix compactly, e.g. `[[0,1],[1,Infinity]]`. */
export function formatMatrix(rows: number[][]): string {
  return `[${rows.map((r) => `[${r.map(formatNumber).join(',')}]`).join(',')}]`;
}

/** Largest absolute difference between two equally shaped matrices (Infinity if shapes differ).
 * Equal infinities and NaN against NaN agree; any other non-finite value differs by Infinity. */
export function maxAbsDiff(a: number[][], b: number[][]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return Infinity;
    for (let j = 0; j < a[i].length; j++) {
      const x = a[i][j];
      const y = b[i][j];
      if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
      worst = Math.max(worst, Number.isFinite(x) && Number.isFinite(y) ? Math.abs(x - y) : Infinity);
    }
  }
  return worst;
}
