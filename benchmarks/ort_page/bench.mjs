// ONNX Runtime Web side of benchmarks/lit_text_tower.py: the same measurements as the site's
// benchmark page (load, first run, warm-up, timed runs that end when the output is read), on
// ORT's WASM execution provider with one thread, as the reference figure was taken.
import * as ort from './ort.wasm.bundle.min.mjs';

window.benchOrt = async ({modelUrl, runs, warmups, shape, externalData}) => {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = new URL('./', import.meta.url).href;
  const start = performance.now();
  // Big tensors may live next to the model (`tower.onnx.data`): fetched by ORT with the model.
  const session = await ort.InferenceSession.create(modelUrl, {
    executionProviders: ['wasm'],
    externalData: externalData.map((path) => ({path, data: new URL(path, modelUrl).href})),
  });
  const loadMs = performance.now() - start;
  const size = shape.reduce((a, b) => a * b, 1);
  // Token ids in [1, 100), like the TF.js side: speed does not depend on which ids.
  const ids = Int32Array.from({length: size}, (_, i) => 1 + ((i * 7919) % 99));
  const feeds = {[session.inputNames[0]]: new ort.Tensor('int32', ids, shape)};
  const once = async () => {
    const t0 = performance.now();
    const outputs = await session.run(feeds);
    for (const tensor of Object.values(outputs)) {
      await tensor.getData();
      tensor.dispose();
    }
    return performance.now() - t0;
  };
  const firstMs = await once();
  let warmupMs = 0;
  for (let i = 0; i < warmups; i++) warmupMs += await once();
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  await session.release();
  return {loadMs, firstMs, warmupMs, times, version: ort.env.versions.web, inputName: session.inputNames[0]};
};
window.benchOrtReady = true;
