// Runs TF.js graph models under Node for `builders.convert.verify`.
// Reads a JSON job list on stdin, writes a JSON result list on stdout.
// Many models run in one process so that test suites pay Node's start-up once.
'use strict';
const fs = require('fs');
const path = require('path');

const nodeModules = process.env.TFJS_NODE_MODULES;
if (!nodeModules) {
  process.stderr.write('TFJS_NODE_MODULES is not set\n');
  process.exit(2);
}
// @tensorflow/tfjs prints a hint about tfjs-node when imported in Node; we use the
// pure-JS CPU backend (and WASM) on purpose, as browsers do.
const warn = console.warn;
console.warn = () => {};
const tf = require(path.join(nodeModules, '@tensorflow/tfjs'));
console.warn = warn;
// The site's faster CPU and WASM kernels (site_src/common/fast_kernels.ts, compiled by
// tfjs_runtime.py), so models are checked with the kernels the pages run.
const fastKernels = process.env.TFJS_FAST_KERNELS ? require(process.env.TFJS_FAST_KERNELS) : null;
const fastCpuKernels = fastKernels ? fastKernels.registerFastCpuKernels() : [];
let fastWasmKernels = [];

const TYPED = {float32: Float32Array, int32: Int32Array, bool: Uint8Array};

function readModelArtifacts(modelDir) {
  const model = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
  const weightSpecs = [];
  const buffers = [];
  for (const group of model.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(modelDir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return {
    modelTopology: model.modelTopology, weightSpecs, weightData, format: model.format,
    generatedBy: model.generatedBy, convertedBy: model.convertedBy, signature: model.signature,
    userDefinedMetadata: model.userDefinedMetadata,
  };
}

function readInput(spec) {
  const raw = fs.readFileSync(spec.file);
  const Typed = TYPED[spec.dtype];
  const data = new Typed(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return tf.tensor(spec.dtype === 'bool' ? Array.from(data, (v) => v !== 0) : data, spec.shape, spec.dtype);
}

/** Calls `fn` while recording the name of every kernel TF.js's engine runs. */
async function recordingKernels(fn) {
  const engine = tf.engine();
  const runKernel = engine.runKernel;
  const kernels = new Set();
  engine.runKernel = function (kernelName, ...rest) {
    kernels.add(kernelName);
    return runKernel.call(this, kernelName, ...rest);
  };
  try {
    return {value: await fn(), kernels: [...kernels].sort()};
  } finally {
    engine.runKernel = runKernel;
  }
}

async function runJob(job) {
  if (job.record_kernels) {
    const {value, kernels} = await recordingKernels(() => runJob({...job, record_kernels: false}));
    return {...value, kernels};
  }
  const model = await tf.loadGraphModel({load: async () => readModelArtifacts(job.model_dir)});
  const feeds = {};
  for (const spec of job.inputs) feeds[spec.name] = readInput(spec);
  const names = job.outputs;
  const t0 = performance.now();
  let outs;
  let usedAsync = false;
  try {
    outs = model.execute(feeds, names);
  } catch (err) {
    // Control flow (Switch/Merge, as the official converter emits for polymorphic
    // shapes) only runs through executeAsync; our own models never need it.
    if (!/dynamic op|executeAsync/.test(String(err && err.message))) throw err;
    outs = await model.executeAsync(feeds, names);
    usedAsync = true;
  }
  if (!Array.isArray(outs)) outs = [outs];
  const results = [];
  for (let i = 0; i < outs.length; i++) {
    const t = outs[i];
    // TF.js may hand back another typed array than the dtype's (its CPU Cast from int32 to float32
    // relabels the Int32Array), so the values are copied into the dtype's array before writing bytes.
    const Typed = TYPED[t.dtype];
    const raw = t.dataSync();
    const data = raw instanceof Typed ? raw : Typed.from(raw);
    const file = path.join(job.out_dir, `out_${i}.bin`);
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    fs.writeFileSync(file, bytes);
    results.push({name: names[i], dtype: t.dtype, shape: t.shape, file});
  }
  const ms = performance.now() - t0;
  tf.dispose([...outs, ...Object.values(feeds)]);
  model.dispose();
  return {ok: true, outputs: results, ms, async: usedAsync};
}

/** Switch TF.js to `backend` ('cpu' or 'wasm'), with the site's kernels for it when they are loaded. */
async function useBackend(backend) {
  if (backend === 'wasm') {
    require(path.join(nodeModules, '@tensorflow/tfjs-backend-wasm'));
    if (fastKernels) fastWasmKernels = fastKernels.registerFastWasmKernels();
  }
  await tf.setBackend(backend);
  await tf.ready();
}

async function main() {
  const request = JSON.parse(fs.readFileSync(0, 'utf8'));
  await useBackend(request.backend || 'cpu');
  const results = [];
  for (const job of request.jobs) {
    try {
      results.push(await runJob(job));
    } catch (err) {
      results.push({ok: false, error: String(err && err.message ? err.message : err)});
    }
  }
  process.stdout.write(JSON.stringify({backend: tf.getBackend(), fastCpuKernels, fastWasmKernels, results}));
}

// Required by other scripts (benchmarks/converter.py, benchmarks/wasm_profile.py) for its backend
// set-up and loaders; run as a program otherwise.
module.exports = {tf, useBackend, readModelArtifacts, readInput};

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
    process.exit(1);
  });
}
