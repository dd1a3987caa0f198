import {test} from 'node:test';
import assert from 'node:assert/strict';
import {backendOrder, startFirst, wasmThreads} from './backend_order';

const DEFAULT_BACKENDS = ['webgl', 'wasm', 'cpu'];

test('software-rendered WebGL goes after WASM; a GPU keeps WebGL first', () => {
  assert.deepEqual(backendOrder(DEFAULT_BACKENDS, null, true), ['wasm', 'webgl', 'cpu']);
  assert.deepEqual(backendOrder(DEFAULT_BACKENDS, null, false), ['webgl', 'wasm', 'cpu']);
});

test('the URL\'s ?backend= always comes first', () => {
  assert.deepEqual(backendOrder(DEFAULT_BACKENDS, 'webgl', true), ['webgl', 'wasm', 'cpu']);
  assert.deepEqual(backendOrder(DEFAULT_BACKENDS, 'cpu', false), ['cpu', 'webgl', 'wasm']);
});

test('a model exact only on some backends never starts another, even when the URL asks', () => {
  const warnings: string[] = [];
  assert.deepEqual(backendOrder(['wasm', 'cpu'], 'webgl', false, true, (w) => warnings.push(w)), ['wasm', 'cpu']);
  assert.deepEqual(warnings, ['?backend=webgl ignored: this model is exact only on wasm, cpu']);
  assert.deepEqual(backendOrder(['wasm', 'cpu'], 'cpu', false, true), ['cpu', 'wasm']);
});

test('orders without WASM, or with WASM already first, are kept', () => {
  assert.deepEqual(backendOrder(['webgl', 'cpu'], null, true), ['webgl', 'cpu']);
  assert.deepEqual(backendOrder(['wasm', 'webgl'], null, true), ['wasm', 'webgl']);
});

test('a backend that fails is reported with its reason, and the next one is tried', async () => {
  const lines: string[] = [];
  const start = async (name: string) => {
    if (name === 'webgl') throw new Error('WebGL is not supported on this device');
    return name;
  };
  assert.deepEqual(await startFirst(['webgl', 'wasm', 'cpu'], start, (l) => lines.push(l)), {
    backend: 'wasm', failures: [{backend: 'webgl', reason: 'WebGL is not supported on this device'}]});
  assert.deepEqual(lines, ["TF.js backend 'webgl' failed to start: WebGL is not supported on this device; trying 'wasm'"]);
});

test('when no backend starts, the error lists every reason', async () => {
  const lines: string[] = [];
  // TF.js's WASM backend rejects with a plain {message} object, not an Error.
  const start = async (name: string): Promise<string> => {
    throw name === 'wasm' ? {message: 'wasm broke'} : new Error(`${name} broke`);
  };
  await assert.rejects(startFirst(['wasm', 'cpu'], start, (l) => lines.push(l)),
    {message: 'no TF.js backend could be started (wasm: wasm broke; cpu: cpu broke)'});
  assert.deepEqual(lines, ["TF.js backend 'wasm' failed to start: wasm broke; trying 'cpu'",
    "TF.js backend 'cpu' failed to start: cpu broke; no backend left to try"]);
});

test('wasmThreads: ?threads=N when valid, else every core, within 1..8', () => {
  assert.equal(wasmThreads(null, 2), 2);
  assert.equal(wasmThreads(null, 64), 8);
  assert.equal(wasmThreads(null, undefined), 1);
  assert.equal(wasmThreads('4', 2), 4);
  assert.equal(wasmThreads('0', 2), 2);
  assert.equal(wasmThreads('two', 2), 2);
  assert.equal(wasmThreads('1.5', 6), 6);
  assert.equal(wasmThreads('12', 2), 8);
});

test('a software WebGPU adapter goes after WASM too; a real one leads', () => {
  const probed = ['webgpu', 'webgl', 'wasm', 'cpu'];
  const quiet = () => {};
  assert.deepEqual(backendOrder(probed, null, false, false, quiet, false), probed);
  assert.deepEqual(backendOrder(probed, null, false, false, quiet, true), ['webgl', 'wasm', 'webgpu', 'cpu']);
  assert.deepEqual(backendOrder(probed, null, true, false, quiet, true), ['wasm', 'webgl', 'webgpu', 'cpu']);
  assert.deepEqual(backendOrder(probed, 'webgpu', true, false, quiet, true)[0], 'webgpu');
});
