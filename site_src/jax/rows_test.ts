import {test} from 'node:test';
import assert from 'node:assert/strict';
import {formatMatrix, maxAbsDiff, parseRows} from './rows';

test('parseRows reads commas, spaces and brackets', () => {
  assert.deepEqual(parseRows('0, 1\n2 3\n[4, 5]\n', 2), [[0, 1], [2, 3], [4, 5]]);
});

test('parseRows names the bad line', () => {
  assert.throws(() => parseRows('1, 2\n3\n', 2), /line 2: expected 2 numbers, got "3"/);
  assert.throws(() => parseRows('a, b', 2), /line 1/);
  assert.throws(() => parseRows('  \n', 2), /at least one row/);
});

test('formatMatrix and maxAbsDiff', () => {
  assert.equal(formatMatrix([[0.5, 2]]), '[[0.5,2]]');
  assert.equal(maxAbsDiff([[1, 2]], [[1, 2.5]]), 0.5);
  assert.equal(maxAbsDiff([[1]], [[1], [2]]), Infinity);
});
