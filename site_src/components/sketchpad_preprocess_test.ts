import {test} from 'node:test';
import assert from 'node:assert/strict';
import {CANVAS_SIZE, FIELD_SIZE, createRaster, preprocess, rasterizeStrokes, stampSegment} from './sketchpad_preprocess';

function bbox(field: Float32Array): {top: number, bottom: number, left: number, right: number} {
  let top = FIELD_SIZE, bottom = -1, left = FIELD_SIZE, right = -1;
  for (let y = 0; y < FIELD_SIZE; y++) {
    for (let x = 0; x < FIELD_SIZE; x++) {
      if (field[y * FIELD_SIZE + x] > 0) {
        top = Math.min(top, y); bottom = Math.max(bottom, y);
        left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  return {top, bottom, left, right};
}

function centreOfMass(field: Float32Array): [number, number] {
  let mass = 0, sy = 0, sx = 0;
  for (let y = 0; y < FIELD_SIZE; y++) {
    for (let x = 0; x < FIELD_SIZE; x++) {
      const v = field[y * FIELD_SIZE + x];
      mass += v; sy += y * v; sx += x * v;
    }
  }
  return [sy / mass, sx / mass];
}

test('an empty drawing gives null', () => {
  const raster = createRaster();
  assert.equal(preprocess(raster.pixels, raster.size, raster.size), null);
});

test('a pen stamp covers the pixels within its radius with anti-aliased edges', () => {
  const raster = createRaster(40);
  stampSegment(raster, [20.5, 20.5], [20.5, 20.5], 5);
  assert.equal(raster.pixels[20 * 40 + 20], 1);
  assert.equal(raster.pixels[20 * 40 + 24], 1); // 4 px from the centre
  assert.equal(raster.pixels[20 * 40 + 25], 0.5); // 5 px away: on the edge, half covered
  assert.equal(raster.pixels[20 * 40 + 26], 0); // 6 px away
  assert.equal(raster.pixels[0], 0);
});

test('a tall stroke is scaled to 20 pixels high, keeps its aspect ratio and is centred', () => {
  const raster = rasterizeStrokes([[[140, 40], [140, 240]]]);
  const field = preprocess(raster.pixels, CANVAS_SIZE, CANVAS_SIZE);
  assert.ok(field);
  const box = bbox(field);
  assert.equal(box.bottom - box.top + 1, 20);
  // 200 + 2*9.5 px tall, ~19 px wide -> about 2 px wide after scaling
  assert.ok(box.right - box.left + 1 <= 3, `width ${box.right - box.left + 1}`);
  const [cy, cx] = centreOfMass(field);
  assert.ok(Math.abs(cy - 13.5) <= 0.5 + 1e-9, `centre row ${cy}`);
  assert.ok(Math.abs(cx - 13.5) <= 0.5 + 1e-9, `centre column ${cx}`);
});

test('a wide stroke is scaled to 20 pixels wide; values stay in [0, 1] with greys', () => {
  const raster = rasterizeStrokes([[[30, 100], [250, 130]]]);
  const field = preprocess(raster.pixels, CANVAS_SIZE, CANVAS_SIZE);
  assert.ok(field);
  const box = bbox(field);
  assert.equal(box.right - box.left + 1, 20);
  assert.ok(box.bottom - box.top + 1 < 10);
  assert.ok(field.every((v) => v >= 0 && v <= 1));
  assert.ok(field.some((v) => v > 0.05 && v < 0.95), 'anti-aliasing gives grey levels');
});

test('the result does not depend on where or how large the digit is drawn', () => {
  const seven = (ox: number, oy: number, s: number): [number, number][][] =>
    [[[ox, oy], [ox + 100 * s, oy], [ox + 40 * s, oy + 160 * s]]];
  const a = preprocess(rasterizeStrokes(seven(40, 40, 1), CANVAS_SIZE, 9).pixels, CANVAS_SIZE, CANVAS_SIZE);
  const b = preprocess(rasterizeStrokes(seven(130, 90, 0.5), CANVAS_SIZE, 4.5).pixels, CANVAS_SIZE, CANVAS_SIZE);
  assert.ok(a && b);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  assert.ok(diff < 0.35, `max difference ${diff}`);
  assert.deepEqual(bbox(a), bbox(b));
});
