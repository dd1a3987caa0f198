import {test} from 'node:test';
import assert from 'node:assert/strict';
import {rangeNote, toPixels} from './image_output';

test('grey (H, W) maps the declared range to 0-255 and clamps', () => {
  const p = toPixels([-1, 0, 1, 3], [2, 2], [-1, 1]);
  assert.deepEqual(Array.from(p.rgba), [0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 255, 255, 255, 255]);
  assert.equal(p.outside, 1);
  assert.equal(rangeNote(p, [-1, 1]), '1 values are outside the declared range [-1, 1] and were clamped.');
});

test('RGB and RGBA channels, 0-255 range', () => {
  assert.deepEqual(Array.from(toPixels([255, 0, 51], [1, 1, 3], [0, 255]).rgba), [255, 0, 51, 255]);
  assert.deepEqual(Array.from(toPixels([0, 0.5, 1, 0.2], [1, 1, 4], [0, 1]).rgba), [0, 128, 255, 51]);
  assert.deepEqual(Array.from(toPixels([0.5], [1, 1, 1], [0, 1]).rgba), [128, 128, 128, 255]);
});

test('values in range give no note; NaN is counted', () => {
  assert.equal(rangeNote(toPixels([0, 1], [1, 2], [0, 1]), [0, 1]), '');
  assert.match(rangeNote(toPixels([Number.NaN, 1], [1, 2], [0, 1]), [0, 1]), /1 values are NaN or infinite/);
});
