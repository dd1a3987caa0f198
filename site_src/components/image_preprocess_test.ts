import {test} from 'node:test';
import assert from 'node:assert/strict';
import {boxWeights, cropBox, preprocessImage} from './image_preprocess';
import {lengthNote} from './text';

const OPTIONS = {height: 1, width: 1, channels: 1, crop: 'center' as const, scale: 1, offset: 0, mean: [0], std: [1]};

test('box weights cover fractional pixels and sum to 1', () => {
  const [first, second] = boxWeights(3, 0, 3, 2);  // 3 pixels into 2: 1.5 each
  assert.deepEqual(first, {start: 0, weights: [1 / 1.5, 0.5 / 1.5]});
  assert.deepEqual(second, {start: 1, weights: [0.5 / 1.5, 1 / 1.5]});
});

test('the centre crop keeps the output aspect', () => {
  assert.deepEqual(cropBox(200, 100, 10, 10, 'center'), [50, 0, 100, 100]);
  assert.deepEqual(cropBox(100, 300, 20, 10, 'center'), [0, 125, 100, 50]);
  assert.deepEqual(cropBox(100, 300, 20, 10, 'none'), [0, 0, 100, 300]);
});

test('grey, area mean and normalisation, as builders/app/image.py', () => {
  // a 2x1 picture, white and pure red, cropped to its centre 1x1 box: half of each pixel
  const rgba = [255, 255, 255, 255, 255, 0, 0, 255];
  const grey = (255 + 255 * 0.299) / 2;
  assert.ok(Math.abs(preprocessImage(rgba, 2, 1, OPTIONS)[0] - Math.fround(grey)) < 1e-4);
  const normalised = preprocessImage(rgba, 2, 1, {...OPTIONS, scale: 1 / 255, mean: [0.5], std: [0.25]});
  assert.ok(Math.abs(normalised[0] - (grey / 255 - 0.5) / 0.25) < 1e-6);
});

test('the note under a text box says when the text was cut', () => {
  assert.equal(lengthNote({ids: [], count: 1, kept: 1, truncated: false}, 'tokens'), '1 token.');
  assert.equal(lengthNote({ids: [], count: 31, kept: 14, truncated: true}, 'tokens'),
    'Too long: the model reads the first 14 of 31 tokens; the rest is left out.');
});
