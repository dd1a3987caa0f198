import * as tf from '@tensorflow/tfjs';
// Registers the 'webgpu' backend; it only initialises when picked, and fails cleanly without WebGPU.
import '@tensorflow/tfjs-backend-webgpu';
import {getThreadsCount} from '@tensorflow/tfjs-backend-wasm';
import {BACKEND_LABELS, configureWasm} from '../common/backend';
import {wasmMatMulKernels} from '../common/wasm_kernels';
import {dataUrl, readPageConfig} from '../common/config';
import {loadModel} from '../common/model';
import {showError, showProgress} from '../common/progress';
import {BenchResult, BenchSpec, benchmarkModel} from './measure';
import {formatBytes, maxOverlap} from './stats';

interface BenchPageConfig { models: BenchSpec[] }

/** Everything a result row shows, plus where it ran, for the JSON copy. */
interface PageResult extends BenchResult {
  requestedBackend: string;
  wasmThreads: number | null;
  /** On WASM: whose matrix-product kernels ran (../common/wasm_kernels.ts). */
  wasmMatMul: string | null;
  crossOriginIsolated: boolean;
  userAgent: string;
  /** Weight files fetched, and how many were in flight at once (tf.loadGraphModel fetches all shards together). */
  shardFiles: number;
  shardsInFlight: number;
  tfjsVersion: string;
  date: string;
}

const BACKENDS = ['webgl', 'wasm', 'cpu', 'webgpu'];

function byTestId<T extends HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element ${id}`);
  return el;
}

function cell(row: HTMLTableRowElement, text: string): void {
  const td = document.createElement('td');
  td.textContent = text;
  row.append(td);
}

const ms = (v: number) => v.toFixed(v < 10 ? 2 : 1);

/** Switch to `name`; throws an Error saying why when this device cannot run it. */
async function useBackend(name: string): Promise<string> {
  if (name === 'webgpu') {
    const reason = await webgpuAvailability();
    if (reason) throw new Error(`WebGPU cannot run here (${reason}); pick another backend.`);
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (err) {
    throw new Error(`The ${BACKEND_LABELS[name] ?? name} backend could not start on this device ` +
      `(${(err as Error).message ?? err}); pick another backend.`);
  }
  if (!ok) {
    throw new Error(`The ${BACKEND_LABELS[name] ?? name} backend could not start on this device; ` +
      'pick another backend.');
  }
  return tf.getBackend();
}

/** Why WebGPU cannot run here, or '' when an adapter exists (a GPU-less browser may still expose navigator.gpu). */
async function webgpuAvailability(): Promise<string> {
  const gpu = (navigator as Navigator & {gpu?: {requestAdapter(): Promise<unknown>}}).gpu;
  if (!gpu) return 'not in this browser';
  try {
    return (await gpu.requestAdapter()) ? '' : 'no GPU adapter on this device';
  } catch {
    return 'no GPU adapter on this device';
  }
}

async function main(): Promise<void> {
  const config = readPageConfig();
  const page = config as unknown as BenchPageConfig;
  configureWasm(config.root);
  const backendSelect = byTestId<HTMLSelectElement>('backend-select');
  const modelSelect = byTestId<HTMLSelectElement>('model-select');
  const runsInput = byTestId<HTMLInputElement>('runs');
  const warmupsInput = byTestId<HTMLInputElement>('warmups');
  const runButton = byTestId<HTMLButtonElement>('run');
  const runAllButton = byTestId<HTMLButtonElement>('run-all');
  const copyButton = byTestId<HTMLButtonElement>('copy');
  const status = byTestId<HTMLElement>('status');
  const bar = byTestId<HTMLProgressElement>('progress');
  const messages = byTestId<HTMLElement>('messages');
  const tbody = byTestId<HTMLElement>('results').querySelector('tbody') as HTMLElement;
  const json = byTestId<HTMLTextAreaElement>('results-json');
  const results: PageResult[] = [];

  const webgpu = await webgpuAvailability();
  for (const name of BACKENDS) {
    const option = new Option(BACKEND_LABELS[name] ?? name, name);
    if (name === 'webgpu' && webgpu) {
      option.disabled = true;
      option.textContent = `WebGPU (${webgpu})`;
    }
    backendSelect.append(option);
  }
  for (const spec of page.models) modelSelect.append(new Option(`${spec.id} (${spec.note})`, spec.id));
  // ?backend=wasm&model=mnist/mnist&runs=20 pre-selects, so a result can be shared as a link.
  const params = new URLSearchParams(location.search);
  const wanted = params.get('backend');
  backendSelect.value = wanted && BACKENDS.includes(wanted) ? wanted : 'webgl';
  const wantedModel = params.get('model');
  if (wantedModel && page.models.some((m) => m.id === wantedModel)) modelSelect.value = wantedModel;
  if (params.get('runs')) runsInput.value = params.get('runs') as string;

  const runOne = async (spec: BenchSpec): Promise<void> => {
    const requested = backendSelect.value;
    const backend = await useBackend(requested);
    const label = BACKEND_LABELS[backend] ?? backend;
    const runs = Number(runsInput.value);
    const warmups = Number(warmupsInput.value);
    if (!Number.isInteger(runs) || runs < 1 || runs > 1000) throw new Error('Runs must be a whole number from 1 to 1000.');
    if (!Number.isInteger(warmups) || warmups < 0 || warmups > 100) {
      throw new Error('Warm-up runs must be a whole number from 0 to 100.');
    }
    showProgress(bar, null, 0);
    const modelUrl = dataUrl(config, spec.url);
    performance.clearResourceTimings();
    const result = await benchmarkModel(spec, () => loadModel(modelUrl, (f) => showProgress(bar, null, f)), {
      runs, warmups, onStage: (stage) => { status.textContent = `${spec.id} on ${label}: ${stage}…`; },
    });
    const folder = modelUrl.slice(0, modelUrl.lastIndexOf('/') + 1);
    const shards = (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((e) => e.name.startsWith(folder) && e.name !== modelUrl);
    const full: PageResult = {
      shardFiles: shards.length,
      shardsInFlight: maxOverlap(shards.map((e) => [e.startTime, e.responseEnd] as [number, number])),
      ...result, requestedBackend: requested,
      wasmThreads: backend === 'wasm' ? getThreadsCount() : null,
      wasmMatMul: backend === 'wasm' ? wasmMatMulKernels() : null,
      crossOriginIsolated: Boolean(globalThis.crossOriginIsolated),
      userAgent: navigator.userAgent, tfjsVersion: tf.version_core, date: new Date().toISOString(),
    };
    results.push(full);
    const row = document.createElement('tr');
    row.dataset.testid = 'result-row';
    cell(row, full.model);
    cell(row, label + (full.wasmThreads ? ` (${full.wasmThreads} thread${full.wasmThreads > 1 ? 's' : ''}, ` +
      `matrix products: ${full.wasmMatMul})` : ''));
    for (const v of [full.loadMs, full.firstMs, full.warmupMs, full.meanMs, full.medianMs]) cell(row, ms(v));
    cell(row, String(full.runs));
    cell(row, formatBytes(full.peakBytes));
    tbody.append(row);
    // Microseconds are below the timer's resolution: round so the JSON stays readable.
    json.value = JSON.stringify(results, (_, v) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v), 2);
    status.textContent = `Done: ${spec.id} ran on ${label} (tf.getBackend() = "${backend}"), ` +
      `median ${ms(full.medianMs)} ms over ${full.runs} runs.`;
  };

  const guard = (fn: () => Promise<void>) => async () => {
    messages.replaceChildren();
    runButton.disabled = runAllButton.disabled = true;
    status.dataset.state = 'running';
    try {
      await fn();
      status.dataset.state = 'done';
    } catch (err) {
      status.dataset.state = 'error';
      status.textContent = 'Stopped.';
      showError(messages, err instanceof Error ? err.message : String(err));
    } finally {
      runButton.disabled = runAllButton.disabled = false;
    }
  };
  runButton.addEventListener('click', guard(async () => {
    const spec = page.models.find((m) => m.id === modelSelect.value);
    if (!spec) throw new Error('Pick a model first.');
    await runOne(spec);
  }));
  runAllButton.addEventListener('click', guard(async () => {
    for (const spec of page.models) await runOne(spec);
  }));
  copyButton.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(json.value);
      copyButton.textContent = 'Copied';
    } catch {
      // Clipboard access can be denied (permissions, insecure origin): select the text instead.
      json.select();
      copyButton.textContent = 'Press Ctrl+C to copy';
    }
  });
  runButton.disabled = runAllButton.disabled = false;
  status.textContent = `Ready: ${page.models.length} model${page.models.length === 1 ? '' : 's'}.`;
  status.dataset.state = 'ready';
  // A model card's "Measure it on this device" link (?model=…&run=1): time that model at once.
  if (params.get('run') === '1' && wantedModel && modelSelect.value === wantedModel) runButton.click();
}

main().catch((err) => {
  const messages = document.querySelector<HTMLElement>('[data-testid="messages"]');
  if (messages) showError(messages, (err as Error).message);
});
