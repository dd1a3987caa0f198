import {test} from 'node:test';
import assert from 'node:assert/strict';
import {BOX, gapNote, layout} from './plot';

test('a line spans the box from the smallest to the largest value', () => {
  const chart = layout([0, 2, 1], 'line');
  assert.equal(chart.min, 0);
  assert.equal(chart.max, 2);
  assert.equal(chart.paths.length, 1);
  const bottom = BOX.height - BOX.bottom;
  assert.equal(chart.paths[0], `M${BOX.left.toFixed(2)},${bottom.toFixed(2)}L${((BOX.left + BOX.width - BOX.right) / 2).toFixed(2)},${BOX.top.toFixed(2)}` +
    `L${(BOX.width - BOX.right).toFixed(2)},${((BOX.top + bottom) / 2).toFixed(2)}`);
});

test('NaN and infinities break the line and are reported', () => {
  const values = [1, Number.NaN, 2, 3, Infinity, 4];
  const chart = layout(values, 'line');
  assert.equal(chart.paths.length, 3);
  assert.deepEqual(chart.gaps, [1, 4]);
  assert.equal(gapNote(chart.gaps, values, null), '2 values are NaN or infinite, shown as gaps (1: NaN, 4: Infinity).');
  assert.equal(gapNote([], values, null), '');
});

test('bars start at zero and skip non-finite values', () => {
  const chart = layout([2, -1, Number.NaN], 'bar');
  assert.equal(chart.min, -1);
  assert.equal(chart.bars.length, 2);
  const plotH = BOX.height - BOX.top - BOX.bottom;
  const zero = BOX.top + 2 / 3 * plotH;
  assert.ok(Math.abs(chart.bars[0].y + chart.bars[0].height - zero) < 1e-9);
  assert.ok(Math.abs(chart.bars[1].y - zero) < 1e-9);
});

test('a constant vector still gets a range', () => {
  const chart = layout([5, 5], 'line');
  assert.deepEqual([chart.min, chart.max], [4, 6]);
});
