/**
 * The backend probe (builders/convert/probe.py): model.json carries one input the build verified
 * and JAX's outputs for it. A page runs it once per backend before trusting that backend with the
 * model (GPU backends are never checked at build time, and phones' 16-bit textures or a software
 * adapter's limits can make them wrong), and remembers the verdict in localStorage.
 * This module has no TF.js import, so it is testable under Node (./probe_test.ts).
 */

export interface ProbeTensor {
  name: string;
  dtype?: string;
  shape: number[];
  /** Row-major; null where JAX gave NaN or ±Inf (JSON has neither). */
  values: (number | null)[];
}

export interface Probe {
  inputs: ProbeTensor[];
  outputs: ProbeTensor[];
  atol: number;
  rtol: number;
}

/**
 * Added to the build's tolerance: GPU backends compute in float32 (or float16 textures) with other
 * summation orders than Node's CPU, so a correct GPU differs from JAX by more than the build allows.
 * 1e-3 of the output's scale keeps every probability and class order; garbage fails by far.
 */
export const GPU_SLACK = 1e-3;

/** The probe in a model's `userDefinedMetadata`, or null when it has none (or a malformed one). */
export function probeOf(metadata: unknown): Probe | null {
  const probe = (metadata as {probe?: Probe} | null | undefined)?.probe;
  if (!probe || !Array.isArray(probe.inputs) || !Array.isArray(probe.outputs)) return null;
  return probe;
}

/**
 * Why `got` (one entry per output, in the probe's order) is not JAX's outputs: a wrong shape, a
 * NaN/Inf where JAX had a number or the reverse, or a value outside
 * `atol + rtol * |jax| + GPU_SLACK * max(1, max |jax|)`. '' when every output matches.
 */
export function probeMismatch(probe: Probe, got: {shape: number[]; values: ArrayLike<number>}[]): string {
  if (got.length !== probe.outputs.length) return `${got.length} outputs instead of ${probe.outputs.length}`;
  for (const [i, want] of probe.outputs.entries()) {
    const {shape, values} = got[i];
    if (shape.join(',') !== want.shape.join(',')) {
      return `output ${want.name} has shape [${shape}] instead of [${want.shape}]`;
    }
    const scale = Math.max(1, ...want.values.map((v) => (v === null ? 0 : Math.abs(v))));
    for (let j = 0; j < want.values.length; j++) {
      const expected = want.values[j];
      const actual = values[j];
      if (expected === null || !Number.isFinite(actual)) {
        if (expected !== null || Number.isFinite(actual)) {
          return `output ${want.name}[${j}] is ${actual} where JAX gave ${expected === null ? 'NaN/Inf' : expected}`;
        }
        continue;
      }
      const error = Math.abs(actual - expected);
      if (error > probe.atol + probe.rtol * Math.abs(expected) + GPU_SLACK * scale) {
        return `output ${want.name}[${j}] is ${actual.toPrecision(6)} where JAX gave ${expected.toPrecision(6)}`;
      }
    }
  }
  return '';
}

/** A short stable hash of the probe (FNV-1a over its JSON): a new build's model gets a new verdict. */
export function probeKey(backend: string, probe: Probe): string {
  const text = JSON.stringify(probe);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `jaxweb-probe:${backend}:${hash.toString(16)}`;
}

/** Where verdicts are kept: localStorage, or nothing where storage is blocked (private mode, file://). */
export interface VerdictStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

export function browserVerdicts(): VerdictStore {
  return {
    get: (key) => {
      try {
        return globalThis.localStorage?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set: (key, value) => {
      try {
        globalThis.localStorage?.setItem(key, value);
      } catch {
        // storage full or blocked: the probe simply runs again next time
      }
    },
  };
}

/** A remembered verdict: 'ok', or the reason the backend failed. */
export const OK = 'ok';
