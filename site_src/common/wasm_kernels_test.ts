import {test} from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {registerFastWasmKernels, wasmKernelStats, wasmMatMulKernels} from './wasm_kernels';
import {detectSimd} from './wasm_gemm';
import {seededValues} from './seeded_values';

interface Case {
  name: string; a: number[]; b: number[]; transposeA?: boolean; transposeB?: boolean;
  bias?: number[]; activation?: tf.fused.Activation; alpha?: number; fast: boolean;
}

// `fast`: computed by our kernels (else TF.js's). Dense layers as the converter emits them (rank
// 3, batch 1 weights), N panels full and partial, attention's batched products (also with b
// transposed), batch broadcasting, and what stays with TF.js.
const CASES: Case[] = [
  {name: 'dense [1,80,192] @ [1,192,768] + bias', a: [1, 80, 192], b: [1, 192, 768], bias: [768], fast: true},
  {name: 'rank 2, N = 36 (partial panel), relu', a: [7, 9], b: [9, 36], bias: [36], activation: 'relu', fast: true},
  {name: 'relu6', a: [5, 6], b: [6, 20], bias: [20], activation: 'relu6', fast: true},
  {name: 'weights transposed', a: [4, 10], b: [24, 10], transposeB: true, bias: [24], fast: true},
  {name: 'attention q @ k^T', a: [15, 16, 64], b: [15, 16, 64], transposeB: true, fast: true},
  {name: 'attention p @ v', a: [15, 16, 16], b: [15, 16, 64], fast: true},
  {name: 'rank 4 batches', a: [2, 3, 5, 8], b: [2, 3, 8, 12], fast: true},
  {name: 'a broadcast over b\'s batch', a: [1, 6, 5], b: [4, 5, 8], fast: true},
  {name: 'b broadcast over a\'s batch', a: [4, 6, 5], b: [1, 5, 8], fast: true},
  {name: 'N not a multiple of 4', a: [6, 5], b: [5, 7], fast: false},
  {name: 'transposeA', a: [10, 6], b: [10, 8], transposeA: true, fast: false},
  {name: 'elu', a: [5, 4], b: [4, 8], bias: [8], activation: 'elu', fast: false},
  {name: 'leakyrelu', a: [5, 4], b: [4, 8], activation: 'leakyrelu', alpha: 0.3, fast: false},
];

function inputs(c: Case, seed: number) {
  return {
    a: tf.tensor(seededValues(c.a.reduce((x, y) => x * y), seed), c.a),
    b: tf.tensor(seededValues(c.b.reduce((x, y) => x * y), seed + 1), c.b),
    bias: c.bias ? tf.tensor(seededValues(c.bias.reduce((x, y) => x * y), seed + 2), c.bias) : undefined,
  };
}

function run(c: Case, t: ReturnType<typeof inputs>): {shape: number[]; data: Float32Array} {
  return tf.tidy(() => {
    const out = c.bias || c.activation ?
      tf.fused.matMul({...t, transposeA: c.transposeA, transposeB: c.transposeB, activation: c.activation, leakyreluAlpha: c.alpha}) :
      tf.matMul(t.a, t.b, c.transposeA, c.transposeB);
    return {shape: out.shape, data: out.dataSync() as Float32Array};
  });
}

const simd = detectSimd().simd;

// The reference is TF.js's CPU backend: TF.js 4.22's own WASM `_FusedMatMul` adds the bias
// wrongly when b is transposed (every row after the first gets bias[N - 1]).
test('WASM matrix products agree with TF.js\'s CPU kernels, weights packed or not', {skip: !simd && 'no WebAssembly SIMD'}, async () => {
  await tf.setBackend('cpu');
  const expected = CASES.map((c, i) => tf.tidy(() => run(c, inputs(c, 10 * i))));
  await tf.setBackend('wasm');
  const stock = tf.getKernel('_FusedMatMul', 'wasm').kernelFunc;
  const tensors = CASES.map((c, i) => inputs(c, 10 * i));
  assert.equal(wasmMatMulKernels(), 'TF.js');
  assert.deepEqual(registerFastWasmKernels().sort(), ['BatchMatMul', '_FusedMatMul']);
  assert.match(wasmMatMulKernels(), /^site, (relaxed )?SIMD$/);
  assert.deepEqual(registerFastWasmKernels().sort(), ['BatchMatMul', '_FusedMatMul']);  // idempotent
  assert.notEqual(tf.getKernel('_FusedMatMul', 'wasm').kernelFunc, stock, 'kernel was not replaced');
  const before = tf.memory().numTensors;
  // Three runs: the first with b as given, then b packed on its second use, then from the cache.
  for (let round = 0; round < 3; round++) {
    CASES.forEach((c, i) => {
      const products = wasmKernelStats.products;
      const got = run(c, tensors[i]);
      assert.equal(wasmKernelStats.products - products, c.fast ? 1 : 0, `${c.name}, round ${round}: computed by ${c.fast ? 'TF.js, not us' : 'us, not TF.js'}`);
      assert.deepEqual(got.shape, expected[i].shape, c.name);
      let worst = 0;
      got.data.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - expected[i].data[j])); });
      assert.ok(worst < 1e-4, `${c.name}, round ${round}: max |difference| ${worst}`);  // sums of up to 192 terms
    });
  }
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  // Packed copies of the four weights wider than a panel (16 columns) or transposed are freed with them.
  assert.equal(wasmKernelStats.packedWeights, 4);
  tensors.forEach((t) => tf.dispose(Object.values(t)));
  assert.equal(wasmKernelStats.packedWeights, 0);
});

test('int32 products still go to TF.js\'s kernel (which has none on WASM)', {skip: !simd && 'no WebAssembly SIMD'}, async () => {
  await tf.setBackend('wasm');
  registerFastWasmKernels();
  const [a, b] = [tf.tensor2d([[1, 2]], [1, 2], 'int32'), tf.tensor2d([[3, 1, 0, 2], [1, 1, 1, 1]], [2, 4], 'int32')];
  assert.throws(() => tf.matMul(a, b), /non-float32/);
});
