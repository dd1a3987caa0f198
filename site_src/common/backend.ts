import * as tf from '@tensorflow/tfjs';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';

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
 * cross-origin-isolated pages (COOP + COEP headers), which GitHub Pages cannot send. Forcing the
 * flag off makes that choice explicit (and holds even where an older browser exposes
 * `SharedArrayBuffer` without isolation): such pages get the single-threaded SIMD build.
 * Safe to call more than once; must run before the WASM backend initialises.
 */
export function configureWasm(root: string): void {
  if (wasmConfigured) return;
  setWasmPaths(new URL(root + 'assets/wasm/', document.baseURI).href);
  if (!globalThis.crossOriginIsolated) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasmConfigured = true;
}

/**
 * Pick a backend: `?backend=wasm` in the page URL wins, then `preferred` in order.
 * WASM binaries are served from the site (`<root>assets/wasm/`), never a CDN.
 */
export async function initBackend(root: string, preferred: readonly string[] = DEFAULT_BACKENDS): Promise<string> {
  configureWasm(root);
  const requested = new URLSearchParams(location.search).get('backend');
  const order = requested ? [requested, ...preferred.filter((b) => b !== requested)] : [...preferred];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return tf.getBackend();
      }
    } catch {
      // try the next backend
    }
  }
  throw new Error('no TF.js backend could be initialised');
}
