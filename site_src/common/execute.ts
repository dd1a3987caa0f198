import * as tf from '@tensorflow/tfjs';

/**
 * Run a graph model and return its outputs as a list. `execute` runs synchronously, which is
 * fastest, but refuses graphs with control flow (a converted `lax.scan` or `while_loop`, dynamic
 * ops) with an error that names `executeAsync`; those then run through `executeAsync`.
 */
export async function executeGraph(model: tf.GraphModel, feeds: tf.Tensor | tf.NamedTensorMap,
    outputs?: string | string[]): Promise<tf.Tensor[]> {
  let result: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
  try {
    result = model.execute(feeds, outputs);
  } catch (err) {
    if (!String((err as Error).message).includes('executeAsync')) throw err;
    result = await model.executeAsync(feeds, outputs);
  }
  if (result instanceof tf.Tensor) return [result];
  return Array.isArray(result) ? result : Object.values(result);
}
