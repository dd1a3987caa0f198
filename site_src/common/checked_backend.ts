import * as tf from '@tensorflow/tfjs';
import {BackendChoice, BackendFailure, backendOrder} from './backend_order';
import {
  BACKEND_LABELS, configureWasm, describeFailure, recordWasmThreads, setBackendOrThrow, softwareWebGLRenderer,
  webgpuAdapterKind,
} from './backend';
import {executeGraph} from './execute';
import {fastKernelsActive, useFastKernels} from './kernel_override';
import {browserVerdicts, OK, Probe, probeKey, probeMismatch, probeOf, VerdictStore} from './probe';

/** The order pages that probe their model try: the GPU first, each only if it gives JAX's numbers. */
export const PROBED_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

/** Run the probe on the current backend: '' when the outputs are JAX's, else what differed. */
export async function runProbe(model: tf.GraphModel, probe: Probe): Promise<string> {
  const feeds: tf.NamedTensorMap = {};
  for (const t of probe.inputs) {
    const values = t.values.map((v) => (v === null ? NaN : v));
    feeds[t.name] = tf.tensor(values, t.shape, (t.dtype ?? 'float32') as tf.DataType);
  }
  try {
    const outputs = await executeGraph(model, feeds, probe.outputs.map((o) => o.name));
    try {
      const got = await Promise.all(outputs.map(async (t) => ({shape: t.shape, values: await t.data() as ArrayLike<number>})));
      return probeMismatch(probe, got);
    } finally {
      tf.dispose(outputs);
    }
  } catch (err) {
    return `it could not run the model (${(err as Error).message ?? err})`;
  } finally {
    tf.dispose(Object.values(feeds));
  }
}

/** The backend that runs the model correctly, the model loaded on it, and what failed before. */
export interface CheckedModel extends BackendChoice {
  model: tf.GraphModel;
  /** Whether the probe ran on this visit (false: no probe in model.json, or a remembered verdict). */
  probed: boolean;
  /** On CPU/WASM: whether the site's faster kernels run this model ('site') or TF.js's own ('stock'). */
  kernels: 'site' | 'stock' | null;
}

/** A first run slower than this skips the timing (it would delay the page): the site's kernels stay. */
const TIMING_BUDGET_MS = 250;

/**
 * The site's kernels (./cpu_kernels.ts, ./wasm_kernels.ts) are an optimisation: keep them for this
 * model only if they are not slower than TF.js's own on this device. Times the probe three times
 * each way, interleaved after one untimed run each (the site's kernels pack weights on their second
 * use), keeps the faster by the minimum, and remembers the choice per backend and model.
 */
export async function chooseKernels(model: tf.GraphModel, probe: Probe, backend: string,
    store: VerdictStore = browserVerdicts()): Promise<'site' | 'stock' | null> {
  if (!fastKernelsActive(backend)) return null;
  const key = `${probeKey(backend, probe)}:kernels`;
  const known = store.get(key);
  if (known === 'site' || known === 'stock') {
    useFastKernels(backend, known === 'site');
    return known;
  }
  const timed = async (kind: 'site' | 'stock'): Promise<number> => {
    useFastKernels(backend, kind === 'site');
    const start = performance.now();
    const mismatch = await runProbe(model, probe);
    // TF.js's own kernels are the reference; a mismatch there is not a reason to pick them
    return mismatch ? Infinity : performance.now() - start;
  };
  let choice: 'site' | 'stock' = 'site';
  if (await timed('site') <= TIMING_BUDGET_MS) {
    await timed('stock');
    const times = {site: [] as number[], stock: [] as number[]};
    for (let round = 0; round < 3; round++) {
      for (const kind of (round % 2 ? ['stock', 'site'] : ['site', 'stock']) as ('site' | 'stock')[]) {
        times[kind].push(await timed(kind));
      }
    }
    choice = Math.min(...times.stock) < Math.min(...times.site) ? 'stock' : 'site';
    console.info(`kernels on ${backend}: site ${Math.min(...times.site).toFixed(2)} ms, ` +
      `TF.js's ${Math.min(...times.stock).toFixed(2)} ms: using ${choice === 'site' ? "the site's" : "TF.js's"}`);
  }
  useFastKernels(backend, choice === 'site');
  store.set(key, choice);
  return choice;
}

/**
 * Start a backend, load the model on it with `load`, and keep it only if the model's probe gives
 * JAX's numbers there; otherwise dispose it and try the next backend (`backendOrder`, with
 * software-rendered WebGL and WebGPU after WASM). Verdicts are remembered per backend and model
 * (`store`), so a later visit neither re-runs a passed probe nor retries a failed backend.
 * Each failure is a `console.warn` line and is returned; throws, listing them, when none works.
 * The probe doubles as the warm-up run (it compiles the backend's kernels).
 */
export async function loadOnCheckedBackend(root: string, load: () => Promise<tf.GraphModel>,
    preferred: readonly string[] = PROBED_BACKENDS, store: VerdictStore = browserVerdicts()): Promise<CheckedModel> {
  const checked = await loadOnChecked(root, load, (model) => model, preferred, store);
  return {...checked, model: checked.loaded};
}

/** What `loadOnChecked` returns: the loaded value (a model, or a library object around one). */
export interface Checked<T> extends Omit<CheckedModel, 'model'> {
  loaded: T;
}

/**
 * `loadOnCheckedBackend` for a loader that returns something holding the graph model (`graphOf`
 * finds it; e.g. the toxicity library's classifier), so that library keeps its own API.
 */
export async function loadOnChecked<T>(root: string, load: () => Promise<T>, graphOf: (loaded: T) => tf.GraphModel,
    preferred: readonly string[] = PROBED_BACKENDS, store: VerdictStore = browserVerdicts()): Promise<Checked<T>> {
  configureWasm(root);
  const requested = new URLSearchParams(location.search).get('backend');
  const softwareGL = !requested && preferred.includes('webgl') ? softwareWebGLRenderer() : null;
  const webgpu = preferred.includes('webgpu') ? await webgpuAdapterKind() : 'none';
  const restricted = PROBED_BACKENDS.some((b) => !preferred.includes(b));
  const order = backendOrder(preferred, requested, softwareGL !== null, restricted, console.warn,
    !requested && webgpu === 'software').filter((b) => b !== 'webgpu' || webgpu !== 'none');
  if (preferred.includes('webgpu') && webgpu === 'none') console.info('WebGPU: no adapter in this browser');
  const failures: BackendFailure[] = [];
  const fail = (backend: string, reason: string, next: string | undefined, stage: BackendFailure['stage']) => {
    failures.push({backend, reason, stage});
    const what = stage === 'start' ? 'failed to start' : 'not used';
    console.warn(`TF.js backend '${backend}' ${what}: ${reason}; ${next ? `trying '${next}'` : 'no backend left to try'}`);
  };
  const chosen = async (backend: string, loaded: T, probed: boolean): Promise<Checked<T>> => {
    recordWasmThreads(backend);
    const kernels = known ? await chooseKernels(graphOf(loaded), known, backend, store) : null;
    if (kernels) document.documentElement.dataset.kernels = kernels;
    return {backend, failures, loaded, probed, kernels};
  };
  let known: Probe | null = null;  // the probe, once a model has been loaded
  for (const [i, name] of order.entries()) {
    const next = order[i + 1];
    const remembered = known ? store.get(probeKey(name, known)) : null;
    if (remembered && remembered !== OK) {
      fail(name, `${remembered} (remembered from an earlier visit)`, next, 'probe');
      continue;
    }
    if (!tf.engine().registryFactory[name]) {
      // Not in this browser (no navigator.gpu) or not bundled: nothing failed, nothing to report.
      console.info(`TF.js backend '${name}' is not available here`);
      continue;
    }
    let backend: string;
    try {
      backend = await setBackendOrThrow(name);
    } catch (err) {
      fail(name, String((err as Error).message ?? err), next, 'start');
      continue;
    }
    let loaded: T;
    try {
      loaded = await load();
    } catch (err) {
      // A GPU backend can fail to take the weights (buffer limits); elsewhere the files are at fault.
      if (name !== 'webgpu' && name !== 'webgl') throw err;
      fail(name, `the model did not load on it: ${(err as Error).message ?? err}`, next, 'load');
      continue;
    }
    const model = graphOf(loaded);
    const probe = probeOf(model.metadata);
    if (!probe) return chosen(backend, loaded, false);
    known = probe;
    const key = probeKey(name, probe);
    const verdict = store.get(key);
    if (verdict === OK) return chosen(backend, loaded, false);
    const mismatch = verdict ? `${verdict} (remembered from an earlier visit)` : await runProbe(model, probe);
    if (!mismatch) {
      store.set(key, OK);
      return chosen(backend, loaded, true);
    }
    if (!verdict) store.set(key, `it gave other numbers than JAX: ${mismatch}`);
    model.dispose();
    fail(name, verdict ? mismatch : `it gave other numbers than JAX: ${mismatch}`, next, 'probe');
  }
  throw new Error(`no TF.js backend ran the model correctly (${failures.map((f) => `${f.backend}: ${f.reason}`).join('; ')})`);
}

/** One line for the page about a backend `loadOnCheckedBackend` passed over, and the one it used. */
export function describeSkip(failure: BackendFailure, used: string): string {
  if (failure.stage === 'start') return describeFailure(failure, used);
  const label = (name: string) => BACKEND_LABELS[name] ?? name;
  return `Not using ${label(failure.backend)}: ${failure.reason.replace(/\.$/, '')}; running on ${label(used)}.`;
}
