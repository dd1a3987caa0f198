/**
 * Strided iteration over an n-d output, row by row: the shared core of the fast CPU kernels
 * (./cpu_binary.ts, ./cpu_transpose.ts). TF.js 4.22's CPU backend computes, for every output
 * element of a broadcast or transpose, its n-d coordinates and each input's flat index with array
 * allocations in between; here each input advances by a stride instead, and adjacent dimensions
 * that every operand walks contiguously are merged first, so most calls are one or two loops.
 */

/** `shape` and, per operand, its stride along each dimension (0 where it is broadcast). */
export interface StridedLayout {shape: number[]; strides: number[][]}

/** Merge dimension d into d + 1 wherever every operand steps through both as one run. */
export function collapse(layout: StridedLayout): StridedLayout {
  const shape = [...layout.shape];
  const strides = layout.strides.map((s) => [...s]);
  // Size-1 dimensions carry no stepping at all.
  for (let d = shape.length - 1; d >= 0 && shape.length > 1; d--) {
    if (shape[d] === 1) {
      shape.splice(d, 1);
      strides.forEach((s) => s.splice(d, 1));
    }
  }
  for (let d = shape.length - 2; d >= 0; d--) {
    if (strides.every((s) => s[d] === s[d + 1] * shape[d + 1])) {
      shape[d + 1] *= shape[d];
      shape.splice(d, 1);
      strides.forEach((s) => s.splice(d, 1));
    }
  }
  if (shape.length === 0) return {shape: [1], strides: strides.map(() => [0])};
  return {shape, strides};
}

/**
 * Calls `row(offsets)` once per row of the (collapsed) layout's last dimension, in row-major
 * order, with each operand's flat offset at the row's start.
 */
export function forEachRow(layout: StridedLayout, row: (offsets: number[]) => void): void {
  const {shape, strides} = layout;
  const outer = shape.length - 1;
  const count = new Array<number>(outer).fill(0);
  const offsets = strides.map(() => 0);
  let rows = 1;
  for (let d = 0; d < outer; d++) rows *= shape[d];
  for (let r = 0; r < rows; r++) {
    row(offsets);
    // Advance the odometer over the outer dimensions, updating every operand's offset.
    for (let d = outer - 1; d >= 0; d--) {
      count[d]++;
      for (let o = 0; o < offsets.length; o++) offsets[o] += strides[o][d];
      if (count[d] < shape[d]) break;
      for (let o = 0; o < offsets.length; o++) offsets[o] -= strides[o][d] * shape[d];
      count[d] = 0;
    }
  }
}

/** Row-major strides of `shape`. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d];
  }
  return strides;
}

/** Strides that read an input of `inShape` broadcast (numpy rules) to `outShape`. */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const own = rowMajorStrides(inShape);
  const lead = outShape.length - inShape.length;
  return outShape.map((_, d) => (d < lead || inShape[d - lead] === 1 ? 0 : own[d - lead]));
}
