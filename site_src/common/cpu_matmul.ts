/**
 * Faster matrix products for TF.js's CPU backend (plain JavaScript, the fallback when neither
 * WebGL nor WASM initialises, and the backend `verify` runs under Node).
 *
 * TF.js 4.22's CPU `BatchMatMul` computes every output element as its own dot product, loading
 * both operands and the output for every multiply-add; its `_FusedMatMul` then adds the bias and
 * applies the activation in two more passes. On a 2-core build machine that is ~0.15 G
 * multiply-adds per second, and a LiT-Ti text tower spends 95% of its CPU time there. The kernel
 * below computes a 4x4 block of outputs at a time with the 16 sums held in local variables, so
 * each loaded value is used four times, and fuses bias and activation into the store: ~6x faster
 * on the same machine (see benchmarks/README.md). Sums are accumulated in float64 (JavaScript
 * numbers), so results are at least as accurate as TF.js's own kernel.
 *
 * Inputs the fast path does not cover (non-float32 dtypes, PReLU, a bias that is not a per-column
 * vector) go to TF.js's original kernels (see ./cpu_kernels.ts).
 */
import {NamedAttrMap, TensorInfo, broadcast_util, util} from '@tensorflow/tfjs-core';
import {CpuBackend, float32Values} from './cpu_backend';


/** Activations the fused kernel applies itself (the names TF.js's `_FusedMatMul` uses). */
const ACTIVATIONS: Record<string, ((x: number, alpha: number) => number) | null> = {
  linear: null,
  relu: (x) => (x > 0 ? x : 0),
  relu6: (x) => (x < 0 ? 0 : x > 6 ? 6 : x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  elu: (x) => (x >= 0 ? x : Math.exp(x) - 1),
  leakyrelu: (x, alpha) => (x >= 0 ? x : alpha * x),
};

/**
 * out[oOff + i*N + j] = sum_k a[aOff + i*aRs + k*aKs] * b[bOff + k*bKs + j*bJs] for an M x K by
 * K x N product; the strides express either operand's transpose without copying it.
 */
export function matMulStrided(
    a: Float32Array, aOff: number, aRs: number, aKs: number,
    b: Float32Array, bOff: number, bKs: number, bJs: number,
    out: Float32Array, oOff: number, M: number, K: number, N: number): void {
  const m4 = M - (M % 4);
  const n4 = N - (N % 4);
  const aR2 = 2 * aRs, aR3 = 3 * aRs, bJ2 = 2 * bJs, bJ3 = 3 * bJs;
  for (let i = 0; i < m4; i += 4) {
    const ai = aOff + i * aRs;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0, pa = ai, pb = bOff + j * bJs; k < K; k++, pa += aKs, pb += bKs) {
        const b0 = b[pb], b1 = b[pb + bJs], b2 = b[pb + bJ2], b3 = b[pb + bJ3];
        let v = a[pa];
        c00 += v * b0; c01 += v * b1; c02 += v * b2; c03 += v * b3;
        v = a[pa + aRs];
        c10 += v * b0; c11 += v * b1; c12 += v * b2; c13 += v * b3;
        v = a[pa + aR2];
        c20 += v * b0; c21 += v * b1; c22 += v * b2; c23 += v * b3;
        v = a[pa + aR3];
        c30 += v * b0; c31 += v * b1; c32 += v * b2; c33 += v * b3;
      }
      let o = oOff + i * N + j;
      out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03; o += N;
      out[o] = c10; out[o + 1] = c11; out[o + 2] = c12; out[o + 3] = c13; o += N;
      out[o] = c20; out[o + 1] = c21; out[o + 2] = c22; out[o + 3] = c23; o += N;
      out[o] = c30; out[o + 1] = c31; out[o + 2] = c32; out[o + 3] = c33;
    }
  }
  // The edges the 4x4 blocks leave: the last M % 4 rows (all of them for one-row products such as
  // a classifier head on one image), and the last N % 4 columns above them.
  if (bJs === 1 && m4 < M) {
    // Rows of b are contiguous: accumulate a[i, k] * b[k, :] row by row (float64 sums).
    const acc = new Float64Array(N);
    for (let i = m4; i < M; i++) {
      acc.fill(0);
      for (let k = 0, pa = aOff + i * aRs, pb = bOff; k < K; k++, pa += aKs, pb += bKs) {
        const v = a[pa];
        for (let j = 0; j < N; j++) acc[j] += v * b[pb + j];
      }
      out.set(acc, oOff + i * N);
    }
  }
  for (let i = 0; i < (bJs === 1 ? m4 : M); i++) {
    for (let j = i < m4 ? n4 : 0; j < N; j++) {
      let sum = 0;
      for (let k = 0, pa = aOff + i * aRs, pb = bOff + j * bJs; k < K; k++, pa += aKs, pb += bKs) {
        sum += a[pa] * b[pb];
      }
      out[oOff + i * N + j] = sum;
    }
  }
}

/** Adds a per-column bias and applies an activation to `rows` rows of N values, in place. */
function biasAndActivation(
    out: Float32Array, N: number, bias: Float32Array | null,
    activation: ((x: number, alpha: number) => number) | null, alpha: number): void {
  if (!bias && !activation) return;
  for (let o = 0; o < out.length; o += N) {
    for (let j = 0; j < N; j++) {
      let x = out[o + j];
      if (bias) x += bias[j];
      out[o + j] = activation ? activation(x, alpha) : x;
    }
  }
}

/** `a`, `b`, and for `_FusedMatMul` optionally `bias` and `preluActivationWeights`. */
type MatMulInputs = Record<string, TensorInfo | undefined>;

/**
 * `BatchMatMul` / `_FusedMatMul`: the product of `a` and `b` (batched, broadcasting the leading
 * dimensions as TF.js's kernel does), with an optional per-column bias and activation; null when
 * the fast path does not apply.
 */
export function fastMatMul(inputs: MatMulInputs, attrs: NamedAttrMap, backend: CpuBackend): TensorInfo | null {
  const {a, b, bias, preluActivationWeights} = inputs;
  if (!a || !b) return null;
  const transposeA = Boolean(attrs.transposeA);
  const transposeB = Boolean(attrs.transposeB);
  const activationName = (attrs.activation as string | undefined) ?? 'linear';
  if (preluActivationWeights || !(activationName in ACTIVATIONS)) return null;
  const aValues = float32Values(backend, a);
  const bValues = float32Values(backend, b);
  if (!aValues || !bValues || a.shape.length < 2 || b.shape.length < 2) return null;

  const aRank = a.shape.length, bRank = b.shape.length;
  const M = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const K = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const N = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (K !== kB) return null;  // TF.js's kernel raises its own error message
  let biasValues: Float32Array | null = null;
  if (bias) {
    biasValues = float32Values(backend, bias);
    const perColumn = bias.shape.slice(0, -1).every((d) => d === 1) && bias.shape[bias.shape.length - 1] === N;
    if (!biasValues || !perColumn) return null;
  }
  const batchA = util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = util.sizeFromShape(b.shape.slice(0, -2));
  const outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  const out = new Float32Array(batch * M * N);
  // Row-major strides of one matrix: (row step, inner step) of a, (inner step, column step) of b.
  const [aRs, aKs] = transposeA ? [1, M] : [K, 1];
  const [bKs, bJs] = transposeB ? [1, K] : [N, 1];
  for (let bi = 0; bi < batch; bi++) {
    matMulStrided(aValues, (bi % batchA) * M * K, aRs, aKs, bValues, (bi % batchB) * K * N, bKs, bJs,
        out, bi * M * N, M, K, N);
  }
  const alpha = (attrs.leakyreluAlpha as number | undefined) ?? 0.2;
  biasAndActivation(out, N, biasValues, ACTIVATIONS[activationName], alpha);
  return backend.makeTensorInfo([...outer, M, N], 'float32', out);
}
