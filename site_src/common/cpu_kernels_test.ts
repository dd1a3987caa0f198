import {test} from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {registerFastCpuKernels} from './cpu_kernels';
import {seededValues} from './seeded_values';
import {collapse} from './cpu_strided';

const values = seededValues;

const size = (shape: number[]) => shape.reduce((x, y) => x * y, 1);

// Broadcast patterns: equal shapes, layer norm's trailing size-1, a per-channel vector, scalars,
// both sides broadcast, rank mismatch, a middle size-1 dimension, and an empty tensor.
const BROADCASTS: [number[], number[]][] = [
  [[5, 16, 192], [5, 16, 192]], [[5, 16, 192], [5, 16, 1]], [[5, 16, 192], [192]], [[3, 4], []],
  [[], [3, 4]], [[4, 1], [1, 3]], [[2, 1, 3, 1], [5, 1, 4]], [[2, 3, 4], [2, 1, 4]], [[0, 3], [3]],
  [[1], [1]],
];
const OPS: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['Add', tf.add], ['Sub', tf.sub], ['Multiply', tf.mul], ['RealDiv', tf.div],
  ['Maximum', tf.maximum], ['Minimum', tf.minimum],
];
// Permutations of a rank-4 attention tensor and of smaller ones, with size-1 dimensions.
const TRANSPOSES: [number[], number[]][] = [
  [[5, 16, 3, 64], [0, 2, 1, 3]], [[5, 3, 16, 64], [0, 2, 3, 1]], [[7, 9], [1, 0]], [[2, 3, 4], [2, 0, 1]],
  [[1, 5, 1, 3], [3, 2, 1, 0]], [[4], [0]], [[2, 3], [0, 1]], [[0, 4], [1, 0]],
];

// Reductions over trailing axes (fast) and others (TF.js's kernels), with keepDims and negative axes.
const REDUCTIONS: [number[], number | number[], boolean][] = [
  [[5, 16, 192], -1, true], [[5, 16, 192], 2, false], [[4, 3, 5], [1, 2], false], [[4, 3, 5], [-2, -1], true],
  [[6], 0, false], [[4, 3, 5], 0, false], [[4, 3, 5], [0, 2], true], [[2, 0, 3], -1, false],
];
const SOFTMAX_SHAPES = [[5, 3, 16, 16], [7], [2, 1]];

function runAll(): Float32Array[] {
  const results: Float32Array[] = [];
  for (const [aShape, bShape] of BROADCASTS) {
    const a = tf.tensor(values(size(aShape), 1), aShape);
    const b = tf.tensor(values(size(bShape), 2).map((v) => v + 3), bShape);  // no division by ~0
    for (const [, op] of OPS) results.push(tf.tidy(() => op(a, b).dataSync() as Float32Array));
    tf.dispose([a, b]);
  }
  for (const [shape, perm] of TRANSPOSES) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const data = Array.from(values(size(shape), 3), (v, i) => (dtype === 'float32' ? v : i % 7));
      results.push(tf.tidy(() => Float32Array.from(tf.transpose(tf.tensor(data, shape, dtype), perm).dataSync())));
    }
  }
  for (const [shape, axis, keepDims] of REDUCTIONS) {
    const x = tf.tensor(values(size(shape), 4), shape);
    for (const op of [tf.sum, tf.mean, tf.max]) {
      results.push(tf.tidy(() => {
        const out = op(x, axis, keepDims);
        return Float32Array.from([...out.shape, ...out.dataSync()]);  // shape, then values
      }));
    }
    x.dispose();
  }
  for (const shape of SOFTMAX_SHAPES) {
    results.push(tf.tidy(() => tf.softmax(tf.tensor(values(size(shape), 5).map((v) => 8 * v), shape))
      .dataSync() as Float32Array));
  }
  return results;
}

test('fast kernels agree with TF.js\'s (arithmetic and transposes exactly, reductions to rounding)', async () => {
  await tf.setBackend('cpu');
  const expected = runAll();
  const stock = tf.getKernel('Sub', 'cpu').kernelFunc;
  registerFastCpuKernels();
  assert.notEqual(tf.getKernel('Sub', 'cpu').kernelFunc, stock, 'kernel was not replaced');
  const before = tf.memory().numTensors;
  const got = runAll();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.equal(got.length, expected.length);
  got.forEach((g, i) => {
    assert.equal(g.length, expected[i].length, `case ${i}`);
    // Mean sums before dividing (TF.js divides first) and softmax sums in float64: rounding differs.
    g.forEach((v, j) => assert.ok(Math.abs(v - expected[i][j]) <= 1e-6 * Math.max(1, Math.abs(v)),
      `case ${i}, element ${j}: ${v} vs ${expected[i][j]}`));
  });
});

test('Maximum and Minimum propagate NaN like TF.js; int32 arithmetic falls back', async () => {
  await tf.setBackend('cpu');
  registerFastCpuKernels();
  const a = tf.tensor([NaN, 1, 2]);
  const b = tf.tensor([0, NaN, 3]);
  assert.deepEqual(Array.from(tf.maximum(a, b).dataSync()), [NaN, NaN, 3]);
  assert.deepEqual(Array.from(tf.minimum(a, b).dataSync()), [NaN, NaN, 2]);
  assert.deepEqual(Array.from(tf.max(tf.tensor([[1, NaN, 3], [4, 5, 6]]), -1).dataSync()), [NaN, 6]);
  const sum = tf.add(tf.tensor([1, 2], [2], 'int32'), tf.tensor([3], [1], 'int32'));
  assert.equal(sum.dtype, 'int32');
  assert.deepEqual(Array.from(sum.dataSync()), [4, 5]);
});

test('collapse merges dimensions every operand walks as one run', () => {
  // layer norm: x [5,16,192] minus mean [5,16,1] is 80 rows of 192
  assert.deepEqual(collapse({shape: [5, 16, 192], strides: [[3072, 192, 1], [16, 1, 0]]}),
    {shape: [80, 192], strides: [[192, 1], [1, 0]]});
  // a transpose keeps its non-contiguous dimensions apart
  assert.deepEqual(collapse({shape: [5, 3, 16, 64], strides: [[3072, 64, 192, 1]]}),
    {shape: [5, 3, 16, 64], strides: [[3072, 64, 192, 1]]});
  assert.deepEqual(collapse({shape: [1, 1], strides: [[0, 0]]}), {shape: [1], strides: [[0]]});
});
