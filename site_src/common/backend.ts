import * as tf from '@tensorflow/tfjs';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';

/** Backends in order of preference; the first that initialises is used. */
export const DEFAULT_BACKENDS = ['webgl', 'wasm', 'cpu'] as const;

/** Human-readable names for the status line. */
export const BACKEND_LABELS: Record<string, string> = {
  webgl: 'WebGL', wasm: 'WASM', cpu: 'CPU', webgpu: 'WebGPU',
};

/**
 * Pick a backend: `?backend=wasm` in the page URL wins, then `preferred` in order.
 * WASM binaries are served from the site (`<root>assets/wasm/`), never a CDN.
 */
export async function initBackend(root: string, preferred: readonly string[] = DEFAULT_BACKENDS): Promise<string> {
  setWasmPaths(new URL(root + 'assets/wasm/', document.baseURI).href);
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
