import {test} from 'node:test';
import assert from 'node:assert/strict';
import {backendOrder} from './backend_order';

const DEFAULT_BACKENDS = ['webgl', 'wasm', 'cpu'];

test('software-rendered WebGL goes after WASM; a GPU keeps WebGL first', () => {
  assert.deepEqual(backendOrder(DEFAULT_BACKENDS, null, true), ['wasm', 'webgl', 'cpu']);
  assert.deepEqual(backendOrder(DEFAULT_BACKENDS, null, false), ['webgl', 'wasm', 'cpu']);
});

test('the URL\'s ?backend= always comes first', () => {
  assert.deepEqual(backendOrder(DEFAULT_BACKENDS, 'webgl', true), ['webgl', 'wasm', 'cpu']);
  assert.deepEqual(backendOrder(DEFAULT_BACKENDS, 'cpu', false), ['cpu', 'webgl', 'wasm']);
});

test('orders without WASM, or with WASM already first, are kept', () => {
  assert.deepEqual(backendOrder(['webgl', 'cpu'], null, true), ['webgl', 'cpu']);
  assert.deepEqual(backendOrder(['wasm', 'webgl'], null, true), ['wasm', 'webgl']);
});
