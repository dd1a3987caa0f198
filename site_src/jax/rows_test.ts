import {test} from 'node:test';
import assert from 'node:assert/strict';
import {decodeMatrix, formatMatrix, maxAbsDiff, parseRows} from './rows';

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

test('non-finite values: decoded from the page config, shown by name, compared by placement', () => {
  const rows = decodeMatrix([['NaN', 'Infinity'], ['-Infinity', 2.5]]);
  assert.ok(Number.isNaN(rows[0][0]));
  assert.deepEqual(rows.slice(1), [[-Infinity, 2.5]]);
  assert.equal(rows[0][1], Infinity);
  assert.equal(formatMatrix(rows), '[[NaN,Infinity],[-Infinity,2.5]]');
  assert.equal(maxAbsDiff(rows, decodeMatrix([['NaN', 'Infinity'], ['-Infinity', 2.5]])), 0);
  assert.equal(maxAbsDiff([[Infinity]], [[-Infinity]]), Infinity);
  assert.equal(maxAbsDiff([[NaN]], [[1]]), Infinity);
  assert.throws(() => decodeMatrix([['oops']]), /page config: "oops" is not a number/);
});
