import {test} from 'node:test';
import assert from 'node:assert/strict';
import {clampToRange, formatNumber} from './slider';

test('numbers are shown without float32 noise', () => {
  assert.equal(formatNumber(Math.fround(5.1)), '5.1');
  assert.equal(formatNumber(3), '3');
  assert.equal(formatNumber(0.000123456789), '0.000123457');
});

test('a value outside the range is clamped', () => {
  assert.equal(clampToRange(9, 4, 8), 8);
  assert.equal(clampToRange(2, 4, 8), 4);
  assert.equal(clampToRange(5, 4, 8), 5);
});
