import assert from 'node:assert/strict';
import {test} from 'node:test';

import {decodeState, encodeState} from './state';

test('state round-trips through the hash, including awkward prompts', () => {
  const state = {model: 'small', cards: [
    {imageId: 'world_001', prompts: ['a red circle', 'two ~ tilde | bar & amp = eq %7C', 'ünïcödé 🙂', '']},
    {imageId: 'world_000', prompts: []},
  ]};
  const hash = encodeState(state);
  assert.ok(hash.startsWith('#v1&'));
  assert.deepEqual(decodeState(hash), state);
});

test('empty hash is no state; another version is an error', () => {
  assert.equal(decodeState(''), null);
  assert.equal(decodeState('#'), null);
  const err = decodeState('#v0&m=tiny');
  assert.ok(err instanceof Error);
  assert.match((err as Error).message, /version 'v0'/);
});
