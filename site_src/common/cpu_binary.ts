/**
 * Broadcasting float32 arithmetic for TF.js's CPU backend: `Add`, `Sub`, `Multiply`, `RealDiv`,
 * `Maximum`, `Minimum`. TF.js 4.22 computes any broadcast that repeats along a size-1 dimension
 * (layer norm's `x - mean(x, -1, keepdims)`) with per-element index arithmetic and array
 * allocations: ~2 ms for a 5x16x192 tensor on a 2-core machine. Walking the operands by stride
 * (./cpu_strided.ts) makes it a plain loop.
 */
import {broadcast_util} from '@tensorflow/tfjs-core';
import {broadcastStrides, collapse, forEachRow} from './cpu_strided';

/** The operations, by TF.js kernel name. */
export const BINARY_KERNELS = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum'] as const;
export type BinaryKernel = typeof BINARY_KERNELS[number];

/** One row: out[o + j] = a[pa + j*ia] (op) b[pb + j*ib], with the operation chosen outside the loop. */
function binaryRow(op: BinaryKernel, a: Float32Array, pa: number, ia: number, b: Float32Array, pb: number,
    ib: number, out: Float32Array, o: number, n: number): void {
  switch (op) {
    case 'Add': for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] + b[pb]; break;
    case 'Sub': for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] - b[pb]; break;
    case 'Multiply': for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] * b[pb]; break;
    case 'RealDiv': for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] / b[pb]; break;
    // Math.max/min propagate NaN, as TF.js's kernels do.
    case 'Maximum': for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = Math.max(a[pa], b[pb]); break;
    case 'Minimum': for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = Math.min(a[pa], b[pb]); break;
  }
}

/** `a (op) b` with numpy broadcasting; returns the result and its shape. */
export function broadcastBinary(op: BinaryKernel, a: Float32Array, aShape: number[], b: Float32Array,
    bShape: number[]): [Float32Array, number[]] {
  const outShape = broadcast_util.assertAndGetBroadcastShape(aShape, bShape);
  const size = outShape.reduce((x, y) => x * y, 1);
  const out = new Float32Array(size);
  if (size === 0) return [out, outShape];
  const layout = collapse({shape: outShape, strides: [broadcastStrides(aShape, outShape),
    broadcastStrides(bShape, outShape)]});
  const last = layout.shape.length - 1;
  const n = layout.shape[last];
  const [ia, ib] = [layout.strides[0][last], layout.strides[1][last]];
  let o = 0;
  forEachRow(layout, ([pa, pb]) => {
    binaryRow(op, a, pa, ia, b, pb, ib, out, o, n);
    o += n;
  });
  return [out, outShape];
}
