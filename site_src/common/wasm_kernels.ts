/**
 * Faster matrix products for TF.js's WASM backend: `_FusedMatMul` (dense layers, with bias and
 * ReLU/ReLU6 fused) and `BatchMatMul` (attention), computed by the SIMD kernels of ./wasm_gemm.ts
 * directly in the WASM backend's memory (our module imports that memory: no copies).
 *
 * Measured on the LiT-Ti text tower (5x16 tokens, 2 cores, Node 20 with relaxed SIMD,
 * benchmarks/wasm_profile.py): the products took 23.8 ms instead of TF.js's 59.2 ms (XNNPACK dense
 * products, scalar-loop batched ones); in headless Chromium the whole tower went from ~75 to
 * 48-53 ms (benchmarks/README.md).
 *
 * Constant weights are packed once into the kernels' panel layout the second time a tensor is
 * seen as the right-hand side (the first use reads it row-major, so activations are never
 * cached), and freed with the tensor; the copies live in the WASM heap, as XNNPACK's packed
 * weights did, and `tf.memory()` does not count them. A transposed right-hand side is packed for
 * the call (TF.js 4.22's own kernel adds the bias wrongly there: every row after the first gets
 * the last bias value). Anything else (transposed left operands, other dtypes and activations,
 * N not a multiple of 4, batch broadcasting beyond one side shared, engines without WebAssembly
 * SIMD) goes to TF.js's own kernel, so results only differ by float rounding.
 * `registerFastWasmKernels()` must run after the WASM backend's kernels are registered; it works
 * whether or not the backend has initialised.
 */
import {BatchMatMul, DataId, TensorInfo, _FusedMatMul, backend_util} from '@tensorflow/tfjs-core';
import {FastKernel as FastKernelOn, isOverridden, overrideKernels} from './kernel_override';
import {GemmActivation, GemmKernels, PANEL, detectSimd, packB} from './wasm_gemm';

/** The parts of tfjs-backend-wasm's `BackendWasm` these kernels use. */
export interface WasmBackendLike {
  wasm: {
    HEAPF32: Float32Array;
    asm?: {memory?: WebAssembly.Memory};
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  dataIdMap: {get(dataId: DataId): {memoryOffset: number} | undefined; has(dataId: DataId): boolean};
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

interface PackedWeights { pointer: number; K: number; N: number; transposed: boolean }

/** Counters for tests and the curious: products computed here, and packed weight copies alive. */
export const wasmKernelStats = {products: 0, packedWeights: 0};

/** Per backend instance: its kernels and packed weights. */
class WasmMatMul {
  private readonly kernels: GemmKernels;
  private readonly packed = new Map<DataId, PackedWeights>();
  private readonly seen = new WeakSet<object>();

  constructor(private readonly backend: WasmBackendLike, memory: WebAssembly.Memory, relaxedMadd: boolean) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    this.kernels = new GemmKernels(memory, {relaxedMadd, sharedMemory: shared});
    // Free a packed copy when TF.js frees the tensor it was made from.
    const dispose = backend.disposeData.bind(backend);
    backend.disposeData = (dataId: DataId, force?: boolean) => {
      const disposed = dispose(dataId, force);
      const weights = this.packed.get(dataId);
      if (weights && !backend.dataIdMap.has(dataId)) {
        backend.wasm._free(weights.pointer);
        this.packed.delete(dataId);
        wasmKernelStats.packedWeights--;
      }
      return disposed;
    };
  }

  private offset(t: TensorInfo): number {
    return this.backend.dataIdMap.get(t.dataId)!.memoryOffset;
  }

  /** B in panel order, packed on its second use as a right-hand side; null before that. */
  private packedWeights(b: TensorInfo, K: number, N: number, transposed: boolean): number | null {
    const cached = this.packed.get(b.dataId);
    if (cached && cached.K === K && cached.N === N && cached.transposed === transposed) return cached.pointer;
    if (!this.seen.has(b.dataId as object)) {
      this.seen.add(b.dataId as object);
      return null;
    }
    if (cached) {
      this.backend.wasm._free(cached.pointer);
      wasmKernelStats.packedWeights--;
    }
    const pointer = this.packCopy(b, 1, K, N, transposed);
    this.packed.set(b.dataId, {pointer, K, N, transposed});
    wasmKernelStats.packedWeights++;
    return pointer;
  }

  /** A new heap block holding each of b's `batches` matrices in panel order (caller frees it). */
  private packCopy(b: TensorInfo, batches: number, K: number, N: number, transposed: boolean): number {
    const pointer = this.backend.wasm._malloc(batches * K * N * 4);
    const heap = this.backend.wasm.HEAPF32;  // after _malloc: the heap may have grown
    const [from, to] = [this.offset(b) / 4, pointer / 4];
    for (let i = 0; i < batches; i++) {
      packB(heap.subarray(from + i * K * N, from + (i + 1) * K * N), K, N, transposed,
        heap.subarray(to + i * K * N, to + (i + 1) * K * N));
    }
    return pointer;
  }

  /**
   * `act(a @ b + bias)` with a `[..., M, K]`, b `[..., K, N]` (or `[..., N, K]` when transposeB)
   * and bias `[N]`, or null when this case is TF.js's.
   */
  matMul(a: TensorInfo, b: TensorInfo, bias: TensorInfo | undefined, transposeA: boolean, transposeB: boolean,
    activation: GemmActivation): TensorInfo | null {
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || transposeA || a.shape.length < 2 || b.shape.length < 2) return null;
    if (bias && (bias.dtype !== 'float32' || bias.shape.some((d, i) => i < bias.shape.length - 1 && d !== 1))) return null;
    const [M, K] = a.shape.slice(-2);
    const [bRows, bCols] = b.shape.slice(-2);
    const N = transposeB ? bRows : bCols;
    if ((transposeB ? bCols : bRows) !== K || M < 1 || K < 1 || N % 4 !== 0 || N < 4) return null;
    if (bias && bias.shape[bias.shape.length - 1] !== N) return null;
    const aBatch = a.shape.slice(0, -2);
    const bBatch = b.shape.slice(0, -2);
    const batchShape = backend_util.assertAndGetBroadcastShape(aBatch, bBatch);
    const batches = batchShape.reduce((x, y) => x * y, 1);
    const [aCount, bCount] = [aBatch, bBatch].map((dims) => dims.reduce((x, y) => x * y, 1));
    // With one right-hand side, all of a's rows form one product; else one product per batch
    // entry, where a's batch shape must equal the output's or a is shared.
    const shared = bCount === 1;
    const sameBatch = aBatch.length === batchShape.length && aBatch.every((d, i) => d === batchShape[i]);
    if (!shared && (bCount !== batches || !(sameBatch || aCount === 1))) return null;

    // B's layout: weights wider than one panel (or transposed) are packed once and cached; a
    // transposed B seen for the first time, or per batch entry (attention's q @ k^T), is packed
    // for this call only; anything else is read row-major.
    let pB = shared && (N > PANEL || transposeB) ? this.packedWeights(b, K, N, transposeB) : null;
    const scratch = pB === null && transposeB ? this.packCopy(b, shared ? 1 : batches, K, N, true) : 0;
    pB ??= scratch || this.offset(b);
    const packed = pB !== this.offset(b);
    const gemm = this.kernels.get(K, N, {bias: bias !== undefined, activation, packed});
    let out: TensorInfo | null = null;
    if (gemm) {
      out = this.backend.makeOutput([...batchShape, M, N], 'float32');
      const [pA, pC, pBias] = [this.offset(a), this.offset(out), bias ? this.offset(bias) : 0];
      if (shared) {
        gemm(pA, pB, pC, pBias, aCount * M);
      } else {
        const aStride = aCount === 1 ? 0 : M * K * 4;
        for (let i = 0; i < batches; i++) gemm(pA + i * aStride, pB + i * K * N * 4, pC + i * M * N * 4, pBias, M);
      }
      wasmKernelStats.products++;
    }
    if (scratch) this.backend.wasm._free(scratch);
    return out;
  }
}

const FUSABLE: Record<string, GemmActivation> = {linear: 'linear', relu: 'relu', relu6: 'relu6'};

const matMuls = new WeakMap<object, WasmMatMul>();
let simd: ReturnType<typeof detectSimd> | null = null;

/** The kernels for this backend instance, or null when the engine or the backend cannot run them. */
function forBackend(backend: WasmBackendLike): WasmMatMul | null {
  let matMul = matMuls.get(backend);
  if (matMul === undefined) {
    simd ??= detectSimd();
    const memory = backend.wasm?.asm?.memory;
    if (!simd.simd || !(memory instanceof WebAssembly.Memory)) return null;
    matMul = new WasmMatMul(backend, memory, simd.relaxedMadd);
    matMuls.set(backend, matMul);
  }
  return matMul;
}

type FastKernel = FastKernelOn<WasmBackendLike>;

const fusedMatMul: FastKernel = ({a, b, bias, preluActivationWeights}, attrs, backend) => {
  const activation = FUSABLE[(attrs.activation as string | undefined) ?? 'linear'];
  if (!a || !b || !activation || preluActivationWeights) return null;
  return forBackend(backend)?.matMul(a, b, bias, Boolean(attrs.transposeA), Boolean(attrs.transposeB), activation) ?? null;
};

const batchMatMul: FastKernel = ({a, b}, attrs, backend) => {
  if (!a || !b) return null;
  return forBackend(backend)?.matMul(a, b, undefined, Boolean(attrs.transposeA), Boolean(attrs.transposeB), 'linear') ?? null;
};

const FAST_KERNELS: Record<string, FastKernel> = {[_FusedMatMul]: fusedMatMul, [BatchMatMul]: batchMatMul};

/** What runs the WASM backend's matrix products here (for benchmark reports). */
export type WasmMatMulKernels = 'site, relaxed SIMD' | 'site, SIMD' | 'TF.js';

/**
 * The site's kernels with relaxed SIMD's fused multiply-add, the site's with plain SIMD, or TF.js's
 * own (not registered, or an engine without WebAssembly SIMD).
 */
export function wasmMatMulKernels(): WasmMatMulKernels {
  simd ??= detectSimd();
  if (!(isOverridden(_FusedMatMul, 'wasm') || isOverridden(BatchMatMul, 'wasm')) || !simd.simd) return 'TF.js';
  return simd.relaxedMadd ? 'site, relaxed SIMD' : 'site, SIMD';
}

/**
 * Put `_FusedMatMul` and `BatchMatMul` above in front of the WASM backend's own and return the
 * names that are ours now (safe to call again; none when the WASM backend's kernels are not
 * registered).
 */
export function registerFastWasmKernels(): string[] {
  return overrideKernels('wasm', FAST_KERNELS);
}
