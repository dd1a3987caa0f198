import {test} from 'node:test';
import assert from 'node:assert/strict';
import {checkThreshold, isFlagged, matchOf, selectLabels, toPredictions} from './classify';

test('matchOf is null unless max(p) > threshold, then p_true > p_false', () => {
  assert.equal(matchOf([0.05, 0.95], 0.9), true);
  assert.equal(matchOf([0.95, 0.05], 0.9), false);
  assert.equal(matchOf([0.2, 0.8], 0.9), null);
  assert.equal(matchOf([0.1, 0.9], 0.9), null); // strictly greater, as in the original
  assert.equal(matchOf([0.2, 0.8], 0.5), true);
});

test('toPredictions keeps the selected labels in model order, one result per text', () => {
  const outputs = [Float32Array.from([0.9, 0.1, 0.01, 0.99]), Float32Array.from([0.5, 0.5, 0.3, 0.7])];
  const predictions = toPredictions(['insult', 'threat'], outputs, ['threat', 'insult'], 2, 0.6);
  assert.deepEqual(predictions.map((p) => p.label), ['insult', 'threat']);
  assert.deepEqual(predictions[0].results.map((r) => r.match), [false, true]);
  assert.deepEqual(predictions[1].results.map((r) => r.match), [null, true]);
  assert.ok(predictions[0].results[1].probabilities instanceof Float32Array);
  assert.deepEqual(Array.from(predictions[0].results[1].probabilities), [Math.fround(0.01), Math.fround(0.99)]);
  assert.equal(toPredictions(['insult', 'threat'], outputs, ['threat'], 2, 0.6).length, 1);
  assert.equal(isFlagged(predictions, 0), false);
  assert.equal(isFlagged(predictions, 1), true);
});

test('selectLabels defaults to all and names unknown labels', () => {
  assert.deepEqual(selectLabels(['a', 'b']), ['a', 'b']);
  assert.deepEqual(selectLabels(['a', 'b'], ['b']), ['b']);
  assert.throws(() => selectLabels(['profanity'], ['insult', 'threat']),
    /unknown label\(s\) insult, threat; this model has: profanity/);
});

test('checkThreshold rejects values outside [0, 1]', () => {
  assert.equal(checkThreshold(0.9), 0.9);
  assert.throws(() => checkThreshold(1.2), /threshold must be a number in \[0, 1\], got 1.2/);
  assert.throws(() => checkThreshold(Number.NaN), /got NaN/);
});
