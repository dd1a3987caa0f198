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

/** Format a matrix as compact JSON, e.g. `[[0,1],[1,3]]`. */
export function formatMatrix(rows: number[][]): string {
  return JSON.stringify(rows.map((r) => r.map((v) => Number(v.toPrecision(7)))));
}

/** Largest absolute difference between two equally shaped matrices (Infinity if shapes differ). */
export function maxAbsDiff(a: number[][], b: number[][]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return Infinity;
    for (let j = 0; j < a[i].length; j++) worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
  }
  return worst;
}
