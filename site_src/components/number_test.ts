import {test} from 'node:test';
import assert from 'node:assert/strict';
import {parseNumber} from './number';

test('parseNumber reads numbers and refuses the rest', () => {
  assert.equal(parseNumber(' 2.5 '), 2.5);
  assert.equal(parseNumber('-1e3'), -1000);
  assert.equal(parseNumber(''), null);
  assert.equal(parseNumber('two'), null);
  assert.equal(parseNumber('Infinity'), null);
});
