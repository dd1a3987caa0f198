/** The part of TF.js's CPU backend (MathBackendCPU) that the fast CPU kernels use. */
import {TensorInfo} from '@tensorflow/tfjs-core';

export interface CpuBackend {
  data: {get(dataId: object): {values?: unknown}};
  makeTensorInfo(shape: number[], dtype: TensorInfo['dtype'], values: Float32Array | Int32Array | Uint8Array): TensorInfo;
}

/** A tensor's values when it is float32 and held as a Float32Array, else null. */
export function float32Values(backend: CpuBackend, t: TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : null;
}
