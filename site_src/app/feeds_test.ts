import {test} from 'node:test';
import assert from 'node:assert/strict';
import {buildFeeds, sameValues} from './feeds';

test('several scalar inputs are stacked into one (1, n) float32 vector', () => {
  const feeds = buildFeeds([5.1, 3.5, 2], true, [{name: 'input_0', shape: [-1, 3], dtype: 'float32'}]);
  assert.equal(feeds.length, 1);
  assert.deepEqual(feeds[0].shape, [1, 3]);
  assert.ok(feeds[0].data instanceof Float32Array);
  assert.deepEqual(Array.from(feeds[0].data), [Math.fround(5.1), 3.5, 2]);
});

test('otherwise each input is its own model input with a batch of 1', () => {
  const image = new Float32Array(4).fill(0.5);
  const feeds = buildFeeds([2, image], false, [
    {name: 'input_0', shape: [-1], dtype: 'int32'}, {name: 'input_1', shape: [-1, 2, 2], dtype: 'float32'}]);
  assert.deepEqual(feeds.map((f) => f.shape), [[1], [1, 2, 2]]);
  assert.ok(feeds[0].data instanceof Int32Array);
  assert.deepEqual(Array.from(feeds[1].data), [0.5, 0.5, 0.5, 0.5]);
});

test('a value of the wrong size is refused', () => {
  assert.throws(() => buildFeeds([new Float32Array(3)], false, [{name: 'x', shape: [-1, 2, 2], dtype: 'float32'}]),
    /input x takes 4 numbers, got 3/);
  assert.throws(() => buildFeeds([1, 2], false, [{name: 'x', shape: [-1], dtype: 'float32'}]),
    /the model takes 1 inputs, the page has 2/);
});

test('sameValues compares at float32 precision', () => {
  assert.ok(sameValues([Math.fround(5.1), 2], [5.1, 2]));
  assert.ok(!sameValues([5.2, 2], [5.1, 2]));
  assert.ok(sameValues([Float32Array.from([0.1, 1])], [[0.1, 1]]));
});
