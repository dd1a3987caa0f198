import {test} from 'node:test';
import assert from 'node:assert/strict';
import {formatJson, nest} from './json';

test('nest gives nested arrays of the shape', () => {
  assert.deepEqual(nest([1, 2, 3, 4, 5, 6], [2, 3]), [[1, 2, 3], [4, 5, 6]]);
  assert.equal(nest([7], []), 7);
});

test('formatJson rounds float32 noise and keeps non-finite values readable', () => {
  assert.equal(formatJson(Float32Array.from([0.1, 2]), [2]), '[0.1,2]');
  assert.equal(formatJson([Infinity, Number.NaN], [2]), '["Infinity","NaN"]');
});
