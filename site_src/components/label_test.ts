import {test} from 'node:test';
import assert from 'node:assert/strict';
import {activate, formatScore, topK} from './label';

function close(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-12, `${a} vs ${expected[i]}`));
}

test('softmax turns logits into probabilities that sum to 1', () => {
  close(activate([0, Math.log(3)], 'softmax'), [0.25, 0.75]);
});

test('softmax does not overflow on large logits', () => {
  close(activate([1000, 1000], 'softmax'), [0.5, 0.5]);
});

test('sigmoid scores each class on its own', () => {
  close(activate([0, Math.log(3)], 'sigmoid'), [0.5, 0.75]);
});

test('no activation shows the scores as they are', () => {
  assert.deepEqual(activate(Float32Array.from([0.5, 2]), null), [0.5, 2]);
});

test('topK ranks by value and keeps the names order on ties', () => {
  assert.deepEqual(topK([0.1, 0.6, 0.3], ['a', 'b', 'c'], 2).map((r) => r.name), ['b', 'c']);
  assert.deepEqual(topK([0.5, 0.5, 0], ['a', 'b', 'c'], 3).map((r) => r.index), [0, 1, 2]);
  assert.equal(topK([1, 2], ['a', 'b'], 5).length, 2);
});

test('scores are shown as percentages, raw scores as numbers', () => {
  assert.equal(formatScore(0.9734, 'softmax'), '97.3%');
  assert.equal(formatScore(12.34567, null), '12.35');
});
