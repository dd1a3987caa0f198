import {test} from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {ByteProgress, combinedProgress, formatBytes, LoadProgress, loadModel, manifestBytes, SOURCE_HEADER} from './model';
import {progressText} from './progress';

test('manifestBytes adds up every weight at its stored dtype', () => {
  assert.equal(manifestBytes([{weights: [{dtype: 'float32', shape: [2, 3]}, {dtype: 'int32', shape: []}]},
    {weights: [{dtype: 'float32', shape: [10], quantization: {dtype: 'uint8'}}, {dtype: 'bool', shape: [3]}]}]),
  24 + 4 + 10 + 3);
  assert.equal(manifestBytes([{weights: [{dtype: 'string', shape: [2]}]}]), null);
  assert.equal(manifestBytes(undefined), 0);
});

test('formatBytes shows MB from 1 MB on, else KB', () => {
  assert.equal(formatBytes(3.1e6, 9.8e6), '3.1 of 9.8 MB');
  assert.equal(formatBytes(12e6, 9.8e6), '9.8 of 9.8 MB');
  assert.equal(formatBytes(200e3, 512e3), '200 of 512 KB');
  assert.equal(formatBytes(8, 24), '8 of 24 bytes');
  assert.equal(progressText(0.5, {loaded: 1e6, total: 2e6, fromCache: true}), '1.0 of 2.0 MB, from the offline cache');
  assert.equal(progressText(0.25), '25%');
});

/** A model y = x + w whose one weight (4 float32) is split over two shards of 8 bytes. */
function files(cached: boolean): Record<string, () => Response> {
  const topology = {
    node: [
      {name: 'x', op: 'Placeholder', attr: {dtype: {type: 'DT_FLOAT'}, shape: {shape: {dim: [{size: '4'}]}}}},
      {name: 'w', op: 'Const', attr: {dtype: {type: 'DT_FLOAT'}, value: {tensor: {dtype: 'DT_FLOAT',
        tensorShape: {dim: [{size: '4'}]}}}}},
      {name: 'y', op: 'AddV2', input: ['x', 'w'], attr: {T: {type: 'DT_FLOAT'}}},
    ],
    versions: {producer: 1},
  };
  const model = {format: 'graph-model', modelTopology: topology,
    weightsManifest: [{paths: ['s1.bin', 's2.bin'], weights: [{name: 'w', shape: [4], dtype: 'float32'}]}]};
  const w = new Float32Array([1, 2, 3, 4]);
  const headers: Record<string, string> = cached ? {[SOURCE_HEADER]: 'cache'} : {};
  return {
    '/m/model.json': () => new Response(JSON.stringify(model)),
    '/m/s1.bin': () => new Response(w.slice(0, 2), {headers}),
    '/m/s2.bin': () => new Response(w.slice(2), {headers}),
  };
}

async function withFetch<T>(cached: boolean, run: (requests: string[]) => Promise<T>): Promise<T> {
  const saved = globalThis.fetch;
  const served = files(cached);
  const requests: string[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL) => {
    const path = new URL(String(input)).pathname;
    requests.push(path);
    if (!served[path]) return new Response('', {status: 404});
    return served[path]();
  }) as typeof fetch;
  (globalThis as {location?: unknown}).location ??= {href: 'http://site.test/'};
  try {
    return await run(requests);
  } finally {
    globalThis.fetch = saved;
  }
}

test('loadModel counts the bytes of every shard against the manifest total', async () => {
  const seen: LoadProgress[] = [];
  const model = await withFetch(false, async (requests) => {
    const m = await loadModel('http://site.test/m/model.json', (_f, d) => { if (d) seen.push(d); });
    assert.deepEqual(requests.sort(), ['/m/model.json', '/m/s1.bin', '/m/s2.bin']);
    return m;
  });
  const y = model.predict(tf.tensor1d([10, 10, 10, 10])) as tf.Tensor;
  assert.deepEqual(Array.from(await y.data()), [11, 12, 13, 14]);
  assert.ok(seen.every((d) => d.total === 16), JSON.stringify(seen));
  assert.deepEqual(seen.map((d) => d.loaded).filter((n, i, a) => a.indexOf(n) === i).slice(-2), [8, 16]);
  assert.equal(seen.at(-1)!.fromCache, false);
  tf.dispose(y);
  model.dispose();
});

test('a load whose shards all came from the service worker cache says so', async () => {
  let last: LoadProgress | undefined;
  const model = await withFetch(true, () => loadModel('http://site.test/m/model.json', (_f, d) => { last = d; }));
  assert.deepEqual(last, {loaded: 16, total: 16, fromCache: true});
  model.dispose();
});

test('ByteProgress falls back to Content-Length when the manifest has no fixed sizes', async () => {
  const progress = new ByteProgress(() => undefined);
  await withFetch(false, async () => {
    (progress as unknown as {total: number | null}).total = null;
    const response = await progress.fetch('http://site.test/m/s1.bin');
    await response.arrayBuffer();
  });
  assert.equal(progress.detail().loaded, 8);
  assert.equal(progress.detail().total, 8);
});

test('combinedProgress adds up the bytes of several models', () => {
  const calls: [number, LoadProgress | undefined][] = [];
  const [a, b] = combinedProgress(2, (f, d) => calls.push([f, d]));
  a(0.5, {loaded: 5, total: 10, fromCache: true});
  b(1, {loaded: 30, total: 30, fromCache: true});
  assert.deepEqual(calls.at(-1), [35 / 40, {loaded: 35, total: 40, fromCache: true}]);
});
