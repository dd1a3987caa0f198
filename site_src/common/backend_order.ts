/** Backend choice without TF.js imports, so it is testable under Node (see ./backend_order_test.ts). */

/**
 * The order to try backends in: `?backend=wasm` in the page URL first, then `preferred`, except
 * that software-rendered WebGL goes after WASM (unless the URL asks for it). A requested backend
 * outside `preferred` is ignored (with a warning) when `preferred` is a model's own list: such a
 * model gives wrong numbers elsewhere.
 */
export function backendOrder(preferred: readonly string[], requested: string | null,
    softwareWebGL: boolean, restricted = false, warn: (line: string) => void = console.warn,
    softwareWebGPU = false): string[] {
  if (requested && restricted && !preferred.includes(requested)) {
    warn(`?backend=${requested} ignored: this model is exact only on ${preferred.join(', ')}`);
    requested = null;
  }
  let order = [...preferred];
  // A GPU backend drawn by the CPU (SwiftShader) is slower than WASM: such a WebGL, then such a WebGPU, go after WASM.
  for (const [software, name] of [[softwareWebGPU, 'webgpu'], [softwareWebGL, 'webgl']] as const) {
    if (software && order.includes('wasm') && order.indexOf(name) >= 0 && order.indexOf(name) < order.indexOf('wasm')) {
      order = order.filter((b) => b !== name);
      order.splice(order.indexOf('wasm') + 1, 0, name);
    }
  }
  return requested ? [requested, ...order.filter((b) => b !== requested)] : order;
}


/** A backend that did not start, and why. */
export interface BackendFailure {
  backend: string;
  reason: string;
  /** Where it failed: starting (the default), loading the model on it, or reproducing its probe. */
  stage?: 'start' | 'load' | 'probe';
}

/** The backend that started, and the ones tried before it that failed. */
export interface BackendChoice {
  backend: string;
  failures: BackendFailure[];
}

/** The message of an error, also of the plain `{message}` objects TF.js's WASM backend rejects with. */
function reasonOf(err: unknown): string {
  const message = typeof err === 'object' && err !== null ? (err as {message?: unknown}).message : undefined;
  return typeof message === 'string' && message ? message : String(err);
}

/**
 * Start the first backend of `order` for which `start` resolves; each failure is reported through
 * `warn` (naming the backend, the reason and what is tried next) and returned, never swallowed.
 * Throws, listing every reason, when none starts.
 */
export async function startFirst(order: readonly string[], start: (name: string) => Promise<string>,
    warn: (line: string) => void = console.warn): Promise<BackendChoice> {
  const failures: BackendFailure[] = [];
  for (const [i, name] of order.entries()) {
    try {
      return {backend: await start(name), failures};
    } catch (err) {
      const reason = reasonOf(err);
      failures.push({backend: name, reason});
      const next = order[i + 1];
      warn(`TF.js backend '${name}' failed to start: ${reason}; ${next ? `trying '${next}'` : 'no backend left to try'}`);
    }
  }
  throw new Error(`no TF.js backend could be started (${failures.map((f) => `${f.backend}: ${f.reason}`).join('; ')})`);
}

/** The threaded WASM pool's size: its prebuilt workers. */
export const MAX_WASM_THREADS = 8;

/**
 * How many threads the threaded WASM build runs on: `?threads=N` when given (1 to 8), else every
 * logical core up to 8. TF.js's own default is half the cores, which is one on a 2-core machine.
 */
export function wasmThreads(requested: string | null, cores: number | undefined): number {
  const asked = requested === null ? NaN : Number(requested);
  const wanted = Number.isInteger(asked) && asked >= 1 ? asked : (cores || 1);
  return Math.max(1, Math.min(MAX_WASM_THREADS, wanted));
}
