import * as tf from '@tensorflow/tfjs';
import {BackendChoice, BackendFailure, backendOrder, startFirst, wasmThreads} from './backend_order';
// The backend without kernels: each page's bundle registers the kernels it needs (builders/tfjs_kernels.py).
import {getThreadsCount, setThreadsCount, setWasmPaths} from '@tensorflow/tfjs-backend-wasm/dist/base';

/** Backends in order of preference; the first that initialises is used. */
export const DEFAULT_BACKENDS = ['webgl', 'wasm', 'cpu'] as const;

/** Human-readable names for the status line. */
export const BACKEND_LABELS: Record<string, string> = {
  webgl: 'WebGL', wasm: 'WASM', cpu: 'CPU', webgpu: 'WebGPU',
};

let wasmConfigured = false;

/**
 * Serve the WASM binaries from the site (`<root>assets/wasm/`) and never ask for the threaded
 * build unless the page is cross-origin isolated. tfjs-backend-wasm picks the threaded SIMD
 * binary when `SharedArrayBuffer` can be posted to a MessageChannel; browsers only allow that on
 * cross-origin-isolated pages (COOP + COEP headers). GitHub Pages cannot send them: the site's
 * service worker adds them (site_src/sw/sw.js), so from the second visit on pages are isolated
 * and run on every core. Without isolation (first visit, no service worker, `file://`) the flag
 * is forced off (it holds even where an older browser exposes `SharedArrayBuffer` without
 * isolation): such pages get the single-threaded SIMD build.
 * Safe to call more than once; must run before the WASM backend initialises.
 */
export function configureWasm(root: string): void {
  if (wasmConfigured) return;
  setWasmPaths(new URL(root + 'assets/wasm/', document.baseURI).href);
  if (!globalThis.crossOriginIsolated) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  else setThreadsCount(wasmThreads(new URLSearchParams(location.search).get('threads'), navigator.hardwareConcurrency));
  wasmConfigured = true;
}

/** Renderer names of WebGL implementations that draw on the CPU (no GPU, or a blocklisted one). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render driver/i;

/**
 * The WebGL renderer's name when it is a software rasteriser, else null (a GPU, or no WebGL).
 * There TF.js's WebGL backend runs its shaders on the CPU: on a 2-core machine headless Chromium's
 * SwiftShader took 1.6 s (MNIST) and 2.5 s (LiT) to compile them, and ran LiT 4x slower than WASM.
 */
export function softwareWebGLRenderer(): string | null {
  try {
    const gl = document.createElement('canvas').getContext('webgl');
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();  // browsers cap live contexts
    return SOFTWARE_RENDERER.test(renderer) ? renderer : null;
  } catch {
    return null;
  }
}

/**
 * What WebGPU offers here: 'none' (no `navigator.gpu`, or no adapter, as in headless Chromium
 * without --enable-unsafe-webgpu), 'software' (SwiftShader, a fallback adapter) or 'gpu'.
 */
export async function webgpuAdapterKind(): Promise<'none' | 'software' | 'gpu'> {
  const gpu = (navigator as Navigator & {gpu?: {requestAdapter(): Promise<unknown>}}).gpu;
  if (!gpu) return 'none';
  try {
    const adapter = await gpu.requestAdapter() as {info?: {architecture?: string; isFallbackAdapter?: boolean},
      isFallbackAdapter?: boolean} | null;
    if (!adapter) return 'none';
    if (adapter.info?.isFallbackAdapter || adapter.isFallbackAdapter) return 'software';
    return SOFTWARE_RENDERER.test(adapter.info?.architecture ?? '') ? 'software' : 'gpu';
  } catch {
    return 'none';
  }
}

/**
 * Make `name` the TF.js backend, or throw why not. TF.js itself only logs a failing backend's
 * error (and not at all in production mode) and answers `false`, so its factory is wrapped for
 * the duration of the call to keep the error.
 */
export async function setBackendOrThrow(name: string): Promise<string> {
  const entry = tf.engine().registryFactory[name];
  if (!entry) {
    throw new Error(`not included in this page (available: ${Object.keys(tf.engine().registryFactory).join(', ')})`);
  }
  let failure: unknown = null;
  const factory = entry.factory;
  entry.factory = () => {
    try {
      const backend = factory();
      return backend instanceof Promise ? backend.catch((err: unknown) => { failure = err; throw err; }) : backend;
    } catch (err) {
      failure = err;
      throw err;
    }
  };
  try {
    if (!(await tf.setBackend(name))) throw failure ?? new Error('TF.js could not initialise it');
    await tf.ready();
    return tf.getBackend();
  } finally {
    entry.factory = factory;
  }
}

/**
 * Pick a backend (see `backendOrder`): the first that starts, and the failures before it (each one
 * is also a `console.warn` line naming the backend and the reason).
 * WASM binaries are served from the site (`<root>assets/wasm/`), never a CDN.
 */
export async function startBackend(root: string,
    preferred: readonly string[] = DEFAULT_BACKENDS): Promise<BackendChoice> {
  configureWasm(root);
  const requested = new URLSearchParams(location.search).get('backend');
  const software = !requested && preferred.includes('webgl') ? softwareWebGLRenderer() : null;
  if (software) console.info(`WebGL is software-rendered here (${software}): trying WASM first`);
  const restricted = DEFAULT_BACKENDS.some((b) => !preferred.includes(b));
  const choice = await startFirst(backendOrder(preferred, requested, software !== null, restricted), setBackendOrThrow);
  recordWasmThreads(choice.backend);
  return choice;
}

/**
 * How many threads the WASM backend runs on, or null for another backend. Written to
 * `<html data-wasm-threads>` (the tests read it): more than 1 only on a cross-origin-isolated page.
 */
export function recordWasmThreads(backend: string, doc: Document = document): number | null {
  if (backend !== 'wasm') return null;
  let threads = 1;
  try {
    threads = getThreadsCount();
  } catch {
    // not initialised: single-threaded
  }
  doc.documentElement.dataset.wasmThreads = String(threads);
  return threads;
}

/** `startBackend`, for pages that only need the name of the backend that started. */
export async function initBackend(root: string, preferred: readonly string[] = DEFAULT_BACKENDS): Promise<string> {
  return (await startBackend(root, preferred)).backend;
}

/** One line for the page about a backend that failed to start, e.g. in a warnings area. */
export function describeFailure(failure: BackendFailure, used: string): string {
  const label = (name: string) => BACKEND_LABELS[name] ?? name;
  return `The ${label(failure.backend)} backend could not start (${failure.reason}); running on ${label(used)}.`;
}
