import {test} from 'node:test';
import assert from 'node:assert/strict';
import {GemmActivation, GemmFeatures, GemmKernels, PANEL, detectSimd, gemmModuleBytes, packB} from './wasm_gemm';
import {seededValues} from './seeded_values';

/** float64 reference of act(A @ B + bias). */
function reference(a: Float32Array, b: Float32Array, bias: Float32Array | null, M: number, K: number, N: number,
  activation: GemmActivation): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = bias ? bias[j] : 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
      if (activation !== 'linear') s = Math.max(s, 0);
      if (activation === 'relu6') s = Math.min(s, 6);
      out[i * N + j] = s;
    }
  }
  return out;
}

const simd = detectSimd();
const FEATURES: GemmFeatures[] = [{relaxedMadd: false, sharedMemory: false}];
if (simd.relaxedMadd) FEATURES.push({relaxedMadd: true, sharedMemory: false});
// Shapes cover full and partial 12-column panels (N = 4..60), 3-row tiles and their remainders
// (M = 1..7), K from 1, and the LiT tower's.
const SHAPES = [[1, 1, 4], [2, 3, 8], [3, 4, 12], [5, 7, 16], [7, 9, 20], [4, 16, 36], [6, 5, 60], [16, 64, 16],
  [80, 192, 192], [80, 192, 768], [80, 768, 192]];

test('generated kernels match a float64 reference on every shape, layout, bias and activation', {skip: !simd.simd && 'no WebAssembly SIMD'}, () => {
  const memory = new WebAssembly.Memory({initial: 64});
  for (const features of FEATURES) {
    const kernels = new GemmKernels(memory, features);
    for (const [M, K, N] of SHAPES) {
      const a = seededValues(M * K, 1), b = seededValues(K * N, 2), bias = seededValues(N, 3);
      const heap = new Float32Array(memory.buffer);
      const [pA, pB, pPacked, pBias, pC] = [64, 64 + M * K * 4, 64 + (M * K + K * N) * 4, 64 + (M * K + 2 * K * N) * 4,
        64 + (M * K + 2 * K * N + N) * 4];
      heap.set(a, pA / 4);
      heap.set(b, pB / 4);
      packB(b, K, N, false, heap.subarray(pPacked / 4));
      heap.set(bias, pBias / 4);
      for (const packed of [false, true]) {
        for (const withBias of [false, true]) {
          for (const activation of ['linear', 'relu', 'relu6'] as const) {
            const name = `${M}x${K}x${N} packed=${packed} bias=${withBias} ${activation} fma=${features.relaxedMadd}`;
            heap.fill(NaN, pC / 4, pC / 4 + M * N + 4);
            kernels.get(K, N, {packed, bias: withBias, activation})!(pA, packed ? pPacked : pB, pC, pBias, M);
            const want = reference(a, b, withBias ? bias : null, M, K, N, activation);
            want.forEach((w, i) => assert.ok(Math.abs(heap[pC / 4 + i] - w) <= 1e-5 * (1 + Math.abs(w)) * Math.sqrt(K),
              `${name}: C[${i}] = ${heap[pC / 4 + i]}, want ${w}`));
            assert.ok(Number.isNaN(heap[pC / 4 + M * N]), `${name}: wrote past C`);
          }
        }
      }
    }
  }
});

test('packB orders B (or its transpose) in PANEL-column panels, the last one narrower', () => {
  const K = 3, N = PANEL + 8;
  const b = Float32Array.from({length: K * N}, (_, i) => i);  // b[k, n] = k * N + n
  const bT = Float32Array.from({length: K * N}, (_, i) => (i % K) * N + Math.floor(i / K));  // same matrix, N x K
  const out = new Float32Array(K * N), outT = new Float32Array(K * N);
  packB(b, K, N, false, out);
  packB(bT, K, N, true, outT);
  const panel = Array.from({length: PANEL}, (_, n) => n);
  assert.deepEqual(Array.from(out.subarray(0, PANEL + 1)), [...panel, N]);  // row 0 of panel 0, then row 1
  const tail = K * PANEL;  // the last panel: 8 columns per row
  assert.deepEqual(Array.from(out.subarray(tail, tail + 10)), [...panel.slice(0, 8).map((n) => PANEL + n), N + PANEL, N + PANEL + 1]);
  assert.deepEqual(outT, out);
});

test('kernels are small modules that validate, also for a shared memory', {skip: !simd.simd && 'no WebAssembly SIMD'}, () => {
  for (const relaxedMadd of [false, true]) {
    for (const sharedMemory of [false, true]) {
      const bytes = gemmModuleBytes(768, 36, {packed: true, bias: true, activation: 'relu6'}, {relaxedMadd, sharedMemory});
      assert.ok(bytes.length < 8192, `${bytes.length} bytes`);  // compiled synchronously, per shape
      if (!relaxedMadd || simd.relaxedMadd) assert.ok(WebAssembly.validate(bytes), `relaxed=${relaxedMadd} shared=${sharedMemory}`);
    }
  }
  assert.throws(() => gemmModuleBytes(8, 6, {packed: false, bias: false, activation: 'linear'}, FEATURES[0]), /multiple of 4/);
});
