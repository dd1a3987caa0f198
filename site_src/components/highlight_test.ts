import {test} from 'node:test';
import assert from 'node:assert/strict';
import {shade} from './highlight';

test('each token gets its score and a clamped shade; padding positions are dropped', () => {
  const shaded = shade(['[CLS]', 'hi', '[SEP]'], Float32Array.from([-1, 0.5, 2, 0.9, 0.9]), [0, 1]);
  assert.deepEqual(shaded.map((s) => s.token), ['[CLS]', 'hi', '[SEP]']);
  assert.deepEqual(shaded.map((s) => s.alpha), [0, 0.5, 1]);
  assert.equal(shaded[1].score, 0.5);
});

test('a non-finite score is unshaded', () => {
  assert.equal(shade(['a'], [Number.NaN], [0, 1])[0].alpha, 0);
});
