import * as tf from '@tensorflow/tfjs';

/** Bytes of the weights read so far, of how many, and whether every shard came from the offline cache. */
export interface LoadProgress { loaded: number; total: number; fromCache: boolean }

/** Called as bytes arrive: the fraction in [0, 1] and, once the manifest is read, the bytes. */
export type OnProgress = (fraction: number, detail?: LoadProgress) => void;

/** Bytes per element of each stored dtype (quantized weights are stored as their quantization dtype). */
const DTYPE_BYTES: Record<string, number> = {
  float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, int8: 1, uint16: 2, int16: 2, float16: 2,
};

/** What the service worker sets on a response it answered from its cache (site_src/sw/sw.js). */
export const SOURCE_HEADER = 'x-jaxweb-source';

interface WeightEntry { dtype: string; shape: number[]; quantization?: {dtype: string} }

/**
 * The bytes of every weight shard of a model.json's `weightsManifest` (what the shards add up
 * to), or null when a dtype has no fixed size (strings): then the responses' lengths are used.
 */
export function manifestBytes(manifest: {weights: WeightEntry[]}[] | undefined): number | null {
  if (!manifest) return 0;
  let total = 0;
  for (const group of manifest) {
    for (const weight of group.weights) {
      const bytes = DTYPE_BYTES[weight.quantization?.dtype ?? weight.dtype];
      if (bytes === undefined) return null;
      total += bytes * weight.shape.reduce((a, b) => a * b, 1);
    }
  }
  return total;
}

/** "3.1 of 9.8 MB" (KB below 1 MB, bytes below 1 KB). */
export function formatBytes(loaded: number, total: number): string {
  const [unit, name, digits] = total >= 1e6 ? [1e6, 'MB', 1] : total >= 1e3 ? [1e3, 'KB', 0] : [1, 'bytes', 0];
  const show = (n: number) => (n / unit).toFixed(digits);
  return `${show(Math.min(loaded, total))} of ${show(total)} ${name}`;
}

/** A copy of `response` whose body calls `onBytes` for every chunk as it is read. */
export function countingResponse(response: Response, onBytes: (bytes: number) => void): Response {
  if (!response.body) return response;
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const {done, value} = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      onBytes(value.byteLength);
      controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return new Response(body, {status: response.status, statusText: response.statusText, headers: response.headers});
}

/**
 * Counts the weight bytes of one model as TF.js reads them: the total from model.json's manifest,
 * each shard's body through `countingResponse`. TF.js requests all shards at once.
 */
export class ByteProgress {
  private loaded = 0;
  private total: number | null = null;
  private lengths = 0;  // Content-Length of the shards seen, when the manifest cannot say
  private shards = 0;
  private cachedShards = 0;

  constructor(private readonly onProgress: OnProgress) {}

  /** A `fetch` for `tf.loadGraphModel`'s `fetchFunc`. */
  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (this.total === null && new URL(url, location.href).pathname.endsWith('.json')) {
      try {
        this.total = manifestBytes((await response.clone().json()).weightsManifest);
      } catch {
        // TF.js reports the malformed file itself
      }
      return response;
    }
    this.shards += 1;
    if (response.headers.get(SOURCE_HEADER) === 'cache') this.cachedShards += 1;
    this.lengths += Number(response.headers.get('content-length') ?? 0);
    return countingResponse(response, (bytes) => {
      this.loaded += bytes;
      this.report();
    });
  };

  /** Where the load stands (total 0 until the manifest is read; then the weights' bytes). */
  detail(): LoadProgress {
    const total = this.total ?? Math.max(this.lengths, this.loaded);
    return {loaded: this.loaded, total, fromCache: this.shards > 0 && this.cachedShards === this.shards};
  }

  report(done = false): void {
    const detail = this.detail();
    const fraction = done ? 1 : detail.total > 0 ? Math.min(1, detail.loaded / detail.total) : 0;
    this.onProgress(fraction, detail);
  }
}

/**
 * Load a graph model, reporting the bytes of its weights as they arrive (all shards fetched in
 * parallel). A failed fetch (e.g. a data host that does not send `Access-Control-Allow-Origin`)
 * becomes an Error naming the URL.
 */
export async function loadModel(url: string, onProgress: OnProgress): Promise<tf.GraphModel> {
  const progress = new ByteProgress(onProgress);
  try {
    const model = await tf.loadGraphModel(url, {fetchFunc: progress.fetch});
    progress.report(true);
    return model;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`could not load the model from ${url} (${reason}). If the data lives on another ` +
      'origin, that server must send Access-Control-Allow-Origin.');
  }
}

/** Several models' progress added up (the bytes of all their shards). */
export function combinedProgress(count: number, onProgress: OnProgress): OnProgress[] {
  const details: (LoadProgress | undefined)[] = new Array(count).fill(undefined);
  return details.map((_, i) => (fraction: number, detail?: LoadProgress) => {
    details[i] = detail ?? {loaded: fraction, total: 1, fromCache: false};
    const known = details.filter((d): d is LoadProgress => d !== undefined);
    const loaded = known.reduce((a, d) => a + d.loaded, 0);
    const total = known.reduce((a, d) => a + d.total, 0);
    const fromCache = known.length === count && known.every((d) => d.fromCache);
    onProgress(total > 0 ? loaded / total : 0, {loaded, total, fromCache});
  });
}
