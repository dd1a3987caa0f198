import {test} from 'node:test';
import assert from 'node:assert/strict';
import {formatValue} from './number_output';

test('a number is shown with its decimals and unit', () => {
  assert.equal(formatValue(3.14159, 2, 'cm'), '3.14 cm');
  assert.equal(formatValue(2, 0, ''), '2');
  assert.equal(formatValue(Number.NaN, 2, 'cm'), 'NaN cm');
});
