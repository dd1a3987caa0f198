import {test} from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {registerFastCpuKernels} from './cpu_kernels';
import {seededValues} from './seeded_values';
import {matMulStrided} from './cpu_matmul';

const values = seededValues;

interface Case {
  name: string; a: number[]; b: number[]; transposeA?: boolean; transposeB?: boolean;
  bias?: number[]; activation?: tf.fused.Activation; alpha?: number;
}

// Shapes cover the 4x4 blocks and their edges (sizes not divisible by 4), transposes, batches
// (equal and broadcast) and every activation the fast path applies itself.
const CASES: Case[] = [
  {name: 'dense 80x192 @ 192x76', a: [80, 192], b: [192, 76]},
  {name: 'odd sizes 7x5 @ 5x3', a: [7, 5], b: [5, 3]},
  {name: 'single row 1x9 @ 9x6', a: [1, 9], b: [9, 6]},
  {name: 'transposeA', a: [10, 6], b: [10, 9], transposeA: true},
  {name: 'transposeB', a: [6, 10], b: [9, 10], transposeB: true},
  {name: 'both transposed', a: [11, 5], b: [7, 11], transposeA: true, transposeB: true},
  {name: 'batched 3x(5x8 @ 8x6)', a: [3, 5, 8], b: [3, 8, 6]},
  {name: 'rank 4 attention-like', a: [2, 3, 16, 8], b: [2, 3, 16, 8], transposeB: true},
  {name: 'broadcast b', a: [4, 6, 5], b: [1, 5, 7]},
  {name: 'broadcast a', a: [1, 6, 5], b: [4, 5, 7]},
  {name: 'bias', a: [9, 13], b: [13, 10], bias: [10]},
  {name: 'bias [1, N] with relu', a: [9, 13], b: [13, 10], bias: [1, 10], activation: 'relu'},
  {name: 'relu6', a: [8, 4], b: [4, 8], bias: [8], activation: 'relu6'},
  {name: 'sigmoid', a: [5, 4], b: [4, 6], bias: [6], activation: 'sigmoid'},
  {name: 'elu', a: [5, 4], b: [4, 6], activation: 'elu'},
  {name: 'leakyrelu', a: [5, 4], b: [4, 6], activation: 'leakyrelu', alpha: 0.3},
  {name: 'bias broadcast over rows (stock path)', a: [6, 4], b: [4, 5], bias: [6, 1]},
  {name: 'prelu (stock path)', a: [5, 4], b: [4, 6], activation: 'prelu'},
];

function run(c: Case): {shape: number[]; data: Float32Array} {
  return tf.tidy(() => {
    const a = tf.tensor(values(c.a.reduce((x, y) => x * y), 1), c.a);
    const b = tf.tensor(values(c.b.reduce((x, y) => x * y), 2), c.b);
    const bias = c.bias ? tf.tensor(values(c.bias.reduce((x, y) => x * y), 3), c.bias) : undefined;
    const fused = c.bias || c.activation;
    const preluActivationWeights = c.activation === 'prelu' ? tf.fill([6], 0.25) : undefined;
    const out = fused ?
      tf.fused.matMul({a, b, transposeA: c.transposeA, transposeB: c.transposeB, bias,
        activation: c.activation, preluActivationWeights, leakyreluAlpha: c.alpha}) :
      tf.matMul(a, b, c.transposeA, c.transposeB);
    return {shape: out.shape, data: out.dataSync() as Float32Array};
  });
}

test('fast CPU matmul kernels agree with TF.js\'s own on every case', async () => {
  await tf.setBackend('cpu');
  const stockKernel = tf.getKernel('BatchMatMul', 'cpu').kernelFunc;
  const expected = CASES.map(run);
  registerFastCpuKernels();
  registerFastCpuKernels();  // idempotent
  assert.notEqual(tf.getKernel('BatchMatMul', 'cpu').kernelFunc, stockKernel, 'kernel was not replaced');
  const before = tf.memory().numTensors;
  CASES.forEach((c, i) => {
    const got = run(c);
    assert.deepEqual(got.shape, expected[i].shape, c.name);
    let worst = 0;
    got.data.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - expected[i].data[j])); });
    assert.ok(worst < 1e-5, `${c.name}: max |difference| ${worst}`);
  });
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
});

test('int32 products still go to TF.js\'s kernel', async () => {
  await tf.setBackend('cpu');
  registerFastCpuKernels();
  const out = tf.matMul(tf.tensor2d([[1, 2]], [1, 2], 'int32'), tf.tensor2d([[3], [4]], [2, 1], 'int32'));
  assert.equal(out.dtype, 'int32');
  assert.deepEqual(Array.from(out.dataSync()), [11]);
});

test('matMulStrided matches a direct triple loop, including the block edges', () => {
  for (const [M, K, N] of [[4, 4, 4], [5, 3, 9], [1, 1, 1], [13, 7, 2]]) {
    const a = values(M * K, 5), b = values(K * N, 6);
    const out = new Float32Array(M * N);
    matMulStrided(a, 0, K, 1, b, 0, N, 1, out, 0, M, K, N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
        assert.ok(Math.abs(out[i * N + j] - s) < 1e-6, `${M}x${K}x${N} at (${i}, ${j})`);
      }
    }
  }
});
