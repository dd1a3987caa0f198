/** Summary statistics of a list of timings (milliseconds). Pure, shared by the page and the Node runner. */

export interface Stats {
  count: number;
  mean: number;
  median: number;
  min: number;
  max: number;
  p90: number;
  std: number;
}

/** The `q`-quantile (0..1) of `values` by linear interpolation between the closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of an empty list');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Mean, median, min, max, 90th percentile and (population) standard deviation. */
export function summarize(values: readonly number[]): Stats {
  if (values.length === 0) throw new Error('summarize: no timings (runs must be >= 1)');
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return {
    count: values.length,
    mean,
    median: quantile(values, 0.5),
    min: Math.min(...values),
    max: Math.max(...values),
    p90: quantile(values, 0.9),
    std: Math.sqrt(variance),
  };
}

/** `[[r, 0], [r, 1], ...]` for `total` ids spread evenly over `rows` rows (a sparse batch's indices). */
export function sparseIndices(rows: number, total: number): number[][] {
  if (rows < 1 || total < rows) throw new Error(`sparseIndices: need 1 <= rows <= total, got ${rows}, ${total}`);
  const perRow = Math.ceil(total / rows);
  return Array.from({length: total}, (_, i) => [Math.floor(i / perRow), i % perRow]);
}

/** Bytes as "12.3 MB" (powers of 1024, like the build summary). */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The largest number of `[start, end]` intervals open at the same time (how many fetches overlapped). */
export function maxOverlap(intervals: readonly (readonly [number, number])[]): number {
  const events = intervals.flatMap(([start, end]) => [[start, 1], [end, -1]] as [number, number][]);
  // At equal times, close before opening: back-to-back requests did not overlap.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let best = 0;
  for (const [, delta] of events) {
    open += delta;
    best = Math.max(best, open);
  }
  return best;
}
