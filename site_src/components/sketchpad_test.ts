import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createRaster, preprocess, rasterizeStrokes} from './sketchpad_preprocess';
import {SketchpadSpec, resizeArea, sketchInput} from './sketchpad';

const SPEC: SketchpadSpec = {type: 'sketchpad', label: 'digit', size: 28, stroke: 9, invert: false, centerOfMass: true};

test('with centre of mass at size 28 the input is the MNIST page\'s', () => {
  const raster = rasterizeStrokes([[[100, 60], [120, 200]]]);
  assert.deepEqual(sketchInput(raster.pixels, raster.size, SPEC), preprocess(raster.pixels, raster.size, raster.size));
});

test('an empty pad gives a blank image, white when inverted', () => {
  const raster = createRaster();
  assert.ok(sketchInput(raster.pixels, raster.size, SPEC).every((v) => v === 0));
  assert.ok(sketchInput(raster.pixels, raster.size, {...SPEC, invert: true}).every((v) => v === 1));
});

test('other sizes keep the proportions of MNIST', () => {
  const raster = rasterizeStrokes([[[40, 40], [240, 240]]]);
  const image = sketchInput(raster.pixels, raster.size, {...SPEC, size: 14});
  assert.equal(image.length, 14 * 14);
  assert.ok(image.some((v) => v > 0.5));
});

test('without centre of mass the whole pad is averaged down', () => {
  const pixels = new Float64Array(4 * 4);
  pixels.fill(1, 0, 8);  // the top half inked
  assert.deepEqual(Array.from(resizeArea(pixels, 4, 4, 2)), [1, 1, 0, 0]);
  const raster = rasterizeStrokes([[[0, 0], [279, 0]]]);
  const image = sketchInput(raster.pixels, raster.size, {...SPEC, size: 10, centerOfMass: false});
  assert.ok(image[0] > 0 && image[99] === 0);
});
