import {test} from 'node:test';
import assert from 'node:assert/strict';
import {formatBytes, maxOverlap, quantile, sparseIndices, summarize} from './stats';

test('median of an even count interpolates, of an odd count picks the middle', () => {
  assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
  assert.equal(quantile([5, 1, 3], 0.5), 3);
});

test('summarize reports mean, median, extremes, p90 and std', () => {
  const s = summarize([1, 2, 3, 4, 10]);
  assert.equal(s.count, 5);
  assert.equal(s.mean, 4);
  assert.equal(s.median, 3);
  assert.equal(s.min, 1);
  assert.equal(s.max, 10);
  assert.ok(Math.abs(s.p90 - 7.6) < 1e-9);
  assert.ok(Math.abs(s.std - Math.sqrt(10)) < 1e-9);
});

test('summarize and quantile reject bad input with a message', () => {
  assert.throws(() => summarize([]), /runs must be >= 1/);
  assert.throws(() => quantile([1], 2), /q must be in \[0, 1\]/);
});

test('sparseIndices spreads ids over rows', () => {
  assert.deepEqual(sparseIndices(1, 3), [[0, 0], [0, 1], [0, 2]]);
  assert.deepEqual(sparseIndices(2, 4), [[0, 0], [0, 1], [1, 0], [1, 1]]);
  assert.throws(() => sparseIndices(0, 3), /rows <= total/);
});

test('formatBytes uses binary units', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MB');
});

test('maxOverlap counts fetches in flight together, not back-to-back ones', () => {
  assert.equal(maxOverlap([]), 0);
  assert.equal(maxOverlap([[0, 10], [1, 9], [2, 8]]), 3);
  assert.equal(maxOverlap([[0, 5], [5, 10], [10, 15]]), 1);
  assert.equal(maxOverlap([[0, 5], [4, 10], [6, 12]]), 2);
});
