/**
 * The Node half of `python -m builders.bench`: the same measurements as the benchmark page
 * (./measure.ts), on TF.js's CPU and WASM backends under Node, reading models from a built site.
 * bench.py bundles this file for Node and sends a job as JSON on stdin:
 * `{"models": [{...BenchSpec, "dir": "<folder of model.json>"}], "backends": ["wasm"], "runs": 10,
 * "warmups": 3}`; one JSON result per line comes back on stdout (errors as `{"model", "backend", "error"}`).
 */
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {getThreadsCount} from '@tensorflow/tfjs-backend-wasm';
import {registerFastCpuKernels, registerFastWasmKernels} from '../common/fast_kernels';
import {wasmMatMulKernels} from '../common/wasm_kernels';
import {BenchSpec, benchmarkModel} from './measure';

// Bundled for Node with the real @tensorflow/tfjs (not the pages' alias): register the pages'
// CPU and WASM kernels here so the rows time what a page runs.
registerFastCpuKernels();
registerFastWasmKernels();

interface NodeJob { models: (BenchSpec & {dir: string})[]; backends: string[]; runs: number; warmups: number }

/** model.json and its shards from disk, the way tf.io.browserHTTPRequest would deliver them. */
function fileHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of model.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) buffers.push(readFileSync(join(dir, p)));
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: model.modelTopology, weightSpecs, format: model.format, generatedBy: model.generatedBy,
        convertedBy: model.convertedBy, signature: model.signature, userDefinedMetadata: model.userDefinedMetadata,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

function emit(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(0, 'utf8')) as NodeJob;
  for (const backend of job.backends) {
    if (!(await tf.setBackend(backend))) {
      for (const spec of job.models) emit({model: spec.id, backend, error: `backend ${backend} did not start in Node`});
      continue;
    }
    await tf.ready();
    for (const spec of job.models) {
      try {
        const result = await benchmarkModel(spec, () => tf.loadGraphModel(fileHandler(spec.dir)),
          {runs: job.runs, warmups: job.warmups});
        emit({...result, requestedBackend: backend, wasmThreads: tf.getBackend() === 'wasm' ? getThreadsCount() : null,
          wasmMatMul: tf.getBackend() === 'wasm' ? wasmMatMulKernels() : null,
          runtime: `node ${process.version}`});
      } catch (err) {
        emit({model: spec.id, backend, error: err instanceof Error ? err.message : String(err)});
      }
    }
  }
}

main().catch((err) => {
  process.stderr.write(`benchmark runner failed: ${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
