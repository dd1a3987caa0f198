import * as tf from '@tensorflow/tfjs';

/**
 * Load a graph model, reporting progress in [0, 1]. A failed fetch (e.g. a data host
 * that does not send `Access-Control-Allow-Origin`) becomes an Error naming the URL.
 */
export async function loadModel(url: string, onProgress: (fraction: number) => void): Promise<tf.GraphModel> {
  try {
    const model = await tf.loadGraphModel(url, {onProgress});
    onProgress(1);
    return model;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`could not load the model from ${url} (${reason}). If the data lives on another ` +
      'origin, that server must send Access-Control-Allow-Origin.');
  }
}
