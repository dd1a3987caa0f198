import assert from 'node:assert/strict';
import {test} from 'node:test';

import {dot, softmax} from './math';

test('softmax sums to one and follows the temperature', () => {
  const p = softmax([0.1, 0.3, 0.2], 10);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(p[1] > p[2] && p[2] > p[0]);
  const expected = Math.exp(3) / (Math.exp(1) + Math.exp(3) + Math.exp(2));
  assert.ok(Math.abs(p[1] - expected) < 1e-12);
});

test('softmax is stable for large inputs', () => {
  const p = softmax([1000, 1000], 100);
  assert.deepEqual(p, [0.5, 0.5]);
});

test('dot rejects vectors of different lengths', () => {
  assert.equal(dot([1, 2], [3, 4]), 11);
  assert.throws(() => dot([1], [1, 2]), /lengths 1 and 2 differ/);
});
