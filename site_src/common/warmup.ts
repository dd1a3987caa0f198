import * as tf from '@tensorflow/tfjs';
import {executeGraph} from './execute';

/**
 * Run `model` once, before the first user action, so the first real prediction is fast: on
 * WebGL the first run compiles every shader program (often hundreds of ms), on WASM it sets up
 * the kernels. This is what the original LiT demo does after loading its text tower.
 *
 * `inputs` defaults to zeros shaped like the model's inputs, with unknown dimensions (the batch)
 * set to 1; pass real-sized inputs when shaders depend on sizes (WebGL specialises programs by
 * shape, so warm up with the shape users will send, e.g. 5x16 tokens for LiT). Returns the
 * milliseconds spent.
 */
export async function warmUp(model: tf.GraphModel, inputs?: tf.NamedTensorMap): Promise<number> {
  const start = performance.now();
  const feeds = inputs ?? Object.fromEntries(model.inputs.map((info) => [
    info.name,
    tf.zeros((info.shape ?? []).map((d) => (d < 0 ? 1 : d)), (info.dtype ?? 'float32') as tf.DataType),
  ]));
  const list = await executeGraph(model, feeds);
  // Reading the result waits for the GPU, so the compilation really finished.
  await Promise.all(list.map((t) => t.data()));
  tf.dispose(list);
  if (!inputs) tf.dispose(Object.values(feeds));
  return performance.now() - start;
}
