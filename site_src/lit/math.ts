/** Small numeric helpers shared by the model and the UI (pure, tested in math_test.ts). */

/** Dot product of two equal-length vectors. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`dot: lengths ${a.length} and ${b.length} differ`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** softmax(temperature * x), computed stably. */
export function softmax(x: number[], temperature = 1): number[] {
  if (x.length === 0) return [];
  const scaled = x.map((v) => v * temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}
