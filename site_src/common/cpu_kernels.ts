/**
 * Faster kernels for TF.js's CPU backend (plain JavaScript: the fallback when neither WebGL nor
 * WASM initialises, and what `verify` runs under Node by default). TF.js 4.22's CPU kernels for
 * matrix products, broadcasting arithmetic, transposes, reductions and softmax spend most of their
 * time on index arithmetic and intermediate tensors; a LiT-Ti text tower (5x16 tokens) took ~3 s on a 2-core machine, ~95% of it there.
 *
 * `registerFastCpuKernels()` replaces those kernels. Each replacement handles the common layouts
 * and dtypes and hands anything else to TF.js's original kernel, so results are unchanged (up
 * to float rounding: sums are accumulated in float64) and only speed differs. The site's TF.js
 * (./tfjs.ts) calls it on import.
 */
import {BatchMatMul, Max, Mean, Softmax, Sum, Transpose, _FusedMatMul} from '@tensorflow/tfjs-core';
import {BINARY_KERNELS, broadcastBinary} from './cpu_binary';
import {CpuBackend, float32Values} from './cpu_backend';
import {fastMatMul} from './cpu_matmul';
import {RowReduction, reduceRows, softmaxRows, trailingRows} from './cpu_reduce';
import {transposeValues} from './cpu_transpose';
import {FastKernel as FastKernelOn, overrideKernels} from './kernel_override';

type FastKernel = FastKernelOn<CpuBackend>;

function binary(op: typeof BINARY_KERNELS[number]): FastKernel {
  return ({a, b}, _attrs, backend) => {
    if (!a || !b) return null;
    const aValues = float32Values(backend, a);
    const bValues = float32Values(backend, b);
    if (!aValues || !bValues) return null;
    const [out, shape] = broadcastBinary(op, aValues, a.shape, bValues, b.shape);
    return backend.makeTensorInfo(shape, 'float32', out);
  };
}

const transpose: FastKernel = ({x}, attrs, backend) => {
  if (!x) return null;
  const values = backend.data.get(x.dataId).values;
  if (!(values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array)) return null;
  const perm = attrs.perm as number[];
  return backend.makeTensorInfo(perm.map((p) => x.shape[p]), x.dtype, transposeValues(values, x.shape, perm));
};

/** `Sum`/`Mean` (attribute `axis`) and `Max` (`reductionIndices`) over trailing axes. */
function reduction(kind: RowReduction, axesAttr: string): FastKernel {
  return ({x}, attrs, backend) => {
    if (!x) return null;
    const values = float32Values(backend, x);
    const raw = attrs[axesAttr] as number | number[] | null | undefined;
    const axes = raw == null ? x.shape.map((_, d) => d) : typeof raw === 'number' ? [raw] : raw;
    const layout = values && trailingRows(x.shape, axes);
    if (!values || !layout || layout[0] === 0 || layout[1] === 0) return null;
    const kept = x.shape.slice(0, x.shape.length - new Set(axes.map((a) => (a + x.shape.length) % x.shape.length)).size);
    const shape = attrs.keepDims ? [...kept, ...x.shape.slice(kept.length).map(() => 1)] : kept;
    return backend.makeTensorInfo(shape, 'float32', reduceRows(kind, values, layout[0], layout[1]));
  };
}

const softmax: FastKernel = ({logits}, attrs, backend) => {
  if (!logits) return null;
  const values = float32Values(backend, logits);
  const dim = attrs.dim as number;
  const last = logits.shape.length - 1;
  if (!values || (dim !== -1 && dim !== last) || logits.shape[last] === 0) return null;
  return backend.makeTensorInfo(logits.shape, 'float32', softmaxRows(values, logits.shape[last]));
};

const FAST_KERNELS: Record<string, FastKernel> = {
  [BatchMatMul]: fastMatMul,
  [_FusedMatMul]: fastMatMul,
  [Transpose]: transpose,
  [Sum]: reduction('Sum', 'axis'),
  [Mean]: reduction('Mean', 'axis'),
  [Max]: reduction('Max', 'reductionIndices'),
  [Softmax]: softmax,
  ...Object.fromEntries(BINARY_KERNELS.map((op) => [op, binary(op)])),
};

/**
 * Put the kernels listed above in front of the CPU backend's own (safe to call again) and return
 * their names (none when the CPU backend is not loaded).
 */
export function registerFastCpuKernels(): string[] {
  return overrideKernels('cpu', FAST_KERNELS);
}
