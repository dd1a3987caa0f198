/**
 * The measurements of the benchmark page, shared with the Node runner of `python -m builders.bench`:
 * load, first inference (includes WebGL shader compilation / WASM kernel set-up), warm-up, N timed
 * runs (each ends when every output has been read back, as a page that shows the result must), and
 * peak tensor memory of one run (`tf.profile`).
 */
import * as tf from '@tensorflow/tfjs';
import {executeGraph} from '../common/execute';
import {Stats, sparseIndices, summarize} from './stats';

export interface InputSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  /** random: floats in [0, 1); tokens: int32 ids in [1, max); sparse_indices: [row, position] pairs. */
  kind: 'random' | 'tokens' | 'sparse_indices';
  max?: number;
  rows?: number;
}

/** One model of the site, as the build describes it (builders/benchmark_page.py). */
export interface BenchSpec {
  id: string;
  page: string;
  name: string;
  /** Relative to the data base URL. */
  url: string;
  inputs: InputSpec[];
  note: string;
  weight_bytes?: number;
}

export interface BenchOptions {
  runs: number;
  warmups: number;
  /** Called between stages so a page can update its status line. */
  onStage?: (stage: string) => void;
  onLoadProgress?: (fraction: number) => void;
}

export interface BenchResult {
  model: string;
  inputs: string;
  /** The backend that really ran (`tf.getBackend()`), not just the one asked for. */
  backend: string;
  loadMs: number;
  firstMs: number;
  warmupMs: number;
  warmupRuns: number;
  runs: number;
  meanMs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  p90Ms: number;
  stdMs: number;
  /** Largest number of bytes held by tensors during one inference (weights included). */
  peakBytes: number;
  /** Bytes held by the loaded model's weights. */
  weightBytes: number;
  kernels: number;
  /** Tensors still alive after the runs that were not before (0 means no leak). */
  leakedTensors: number;
  times: number[];
}

const SEED = 42;

/** Deterministic inputs for `specs` (same values on every device, so runs compare). */
export function makeInputs(specs: readonly InputSpec[]): tf.NamedTensorMap {
  const feeds: tf.NamedTensorMap = {};
  specs.forEach((spec, i) => {
    if (spec.kind === 'sparse_indices') {
      feeds[spec.name] = tf.tensor2d(sparseIndices(spec.rows ?? 1, spec.shape[0]), spec.shape as [number, number], 'int32');
    } else if (spec.kind === 'tokens') {
      feeds[spec.name] = tf.randomUniform(spec.shape, 1, spec.max ?? 100, 'int32', SEED + i);
    } else if (spec.dtype === 'bool') {
      feeds[spec.name] = tf.tidy(() => tf.randomUniform(spec.shape, 0, 1, 'float32', SEED + i).greater(0.5));
    } else {
      feeds[spec.name] = tf.randomUniform(spec.shape, 0, 1, spec.dtype, SEED + i);
    }
  });
  return feeds;
}

/**
 * Run the model once and wait for every output on the CPU side. Models with dynamic ops
 * (control flow, NonMaxSuppression...) cannot run synchronously: `executeAsync` then.
 */
export async function infer(model: tf.GraphModel, feeds: tf.NamedTensorMap): Promise<void> {
  const outputs = await executeGraph(model, feeds);
  await Promise.all(outputs.map((t) => t.data()));
  tf.dispose(outputs);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Load a model (through `load`, so the page and Node can fetch differently) and time it. */
export async function benchmarkModel(spec: BenchSpec, load: () => Promise<tf.GraphModel>,
  options: BenchOptions): Promise<BenchResult> {
  if (!(options.runs >= 1)) throw new Error(`runs must be >= 1, got ${options.runs}`);
  if (!(options.warmups >= 0)) throw new Error(`warm-up runs must be >= 0, got ${options.warmups}`);
  const stage = options.onStage ?? (() => undefined);
  const tensorsBefore = tf.memory().numTensors;
  const bytesBefore = tf.memory().numBytes;
  stage('loading');
  let model: tf.GraphModel | undefined;
  const loadMs = await timed(async () => { model = await load(); });
  const loaded = model as tf.GraphModel;
  const weightBytes = tf.memory().numBytes - bytesBefore;
  const feeds = makeInputs(spec.inputs);
  try {
    stage('first inference');
    const firstMs = await timed(() => infer(loaded, feeds));
    stage('warm-up');
    const warmupMs = await timed(async () => {
      for (let i = 0; i < options.warmups; i++) await infer(loaded, feeds);
    });
    const times: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      stage(`run ${i + 1}/${options.runs}`);
      times.push(await timed(() => infer(loaded, feeds)));
    }
    stage('memory profile');
    const profile = await tf.profile(() => infer(loaded, feeds));
    const stats: Stats = summarize(times);
    tf.dispose(Object.values(feeds));
    loaded.dispose();
    return {
      model: spec.id,
      inputs: spec.note,
      backend: tf.getBackend(),
      loadMs, firstMs, warmupMs, warmupRuns: options.warmups, runs: stats.count,
      meanMs: stats.mean, medianMs: stats.median, minMs: stats.min, maxMs: stats.max, p90Ms: stats.p90,
      stdMs: stats.std,
      peakBytes: profile.peakBytes,
      weightBytes,
      kernels: profile.kernels.length,
      leakedTensors: tf.memory().numTensors - tensorsBefore,
      times,
    };
  } catch (err) {
    tf.dispose(Object.values(feeds));
    loaded.dispose();
    throw err;
  }
}
