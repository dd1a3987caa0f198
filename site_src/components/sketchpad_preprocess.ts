/**
 * MNIST-style preprocessing of a drawing; the same algorithm as
 * builders/demos/mnist/preprocess.py (a Python test checks both give the same 28x28 array).
 *
 * Strokes are rasterised by `stampSegment` into a CANVAS_SIZE x CANVAS_SIZE grey image
 * (ink = 1) rather than read back from the canvas, whose anti-aliasing differs between
 * browsers. `preprocess` then crops to the ink, scales to fit 20x20 keeping the aspect
 * ratio (area averaging gives the grey levels) and centres by centre of mass in 28x28.
 * Pure logic, no DOM.
 */

export const CANVAS_SIZE = 280;
export const BRUSH_RADIUS = 9;
export const INK_THRESHOLD = 0.1;
export const FIT_SIZE = 20;
export const FIELD_SIZE = 28;
/** Offsets are floor(14 - centre + EPSILON) so exact-integer centres round alike in JS and Python. */
const EPSILON = 1e-6;

export type Point = readonly [number, number];

/** A square grey image, row-major, ink = 1. */
export interface Raster {
  size: number;
  pixels: Float64Array;
}

export function createRaster(size: number = CANVAS_SIZE): Raster {
  return {size, pixels: new Float64Array(size * size)};
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

/**
 * Draw the segment a-b (raster pixel coordinates) as a round pen into `raster`, in place.
 * Each pixel gets clamp(radius + 0.5 - distance, 0, 1), distance from its centre to the
 * segment; overlapping strokes keep the max.
 */
export function stampSegment(raster: Raster, a: Point, b: Point, radius: number = BRUSH_RADIUS): void {
  const {size, pixels} = raster;
  const [ax, ay] = a;
  const [bx, by] = b;
  const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - radius - 1));
  const x1 = Math.min(size - 1, Math.ceil(Math.max(ax, bx) + radius + 1));
  const y0 = Math.max(0, Math.floor(Math.min(ay, by) - radius - 1));
  const y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by) + radius + 1));
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5;
      const t = length2 > 0 ? clamp(((px - ax) * dx + (py - ay) * dy) / length2, 0, 1) : 0;
      const qx = ax + t * dx;
      const qy = ay + t * dy;
      const dist = Math.sqrt((px - qx) ** 2 + (py - qy) ** 2);
      const cover = clamp(radius + 0.5 - dist, 0, 1);
      const i = y * size + x;
      if (cover > pixels[i]) pixels[i] = cover;
    }
  }
}

/** Rasterise whole strokes (lists of points) into a new raster. */
export function rasterizeStrokes(strokes: readonly (readonly Point[])[], size: number = CANVAS_SIZE,
  radius: number = BRUSH_RADIUS): Raster {
  const raster = createRaster(size);
  for (const stroke of strokes) {
    if (stroke.length === 1) stampSegment(raster, stroke[0], stroke[0], radius);
    for (let i = 1; i < stroke.length; i++) stampSegment(raster, stroke[i - 1], stroke[i], radius);
  }
  return raster;
}

/** Sparse box-filter weights: output i averages source [i*nSrc/nDst, (i+1)*nSrc/nDst). */
export function areaWeights(nSrc: number, nDst: number): {start: number, weights: number[]}[] {
  const step = nSrc / nDst;
  const rows = [];
  for (let i = 0; i < nDst; i++) {
    const start = i * step;
    const end = (i + 1) * step;
    const first = Math.floor(start);
    const weights: number[] = [];
    for (let j = first; j < Math.min(nSrc, Math.ceil(end)); j++) {
      const overlap = Math.min(end, j + 1) - Math.max(start, j);
      weights.push(overlap > 0 ? overlap / step : 0);
    }
    rows.push({start: first, weights});
  }
  return rows;
}

/**
 * The 28x28 model input (row-major Float32Array, ink = 1) for a grey image of
 * `width` x `height` pixels, or null when nothing is drawn. Other sizes keep MNIST's proportions:
 * the ink fits `fitSize` pixels (20 of 28) inside a `fieldSize` square.
 */
export function preprocess(pixels: ArrayLike<number>, width: number, height: number,
  fieldSize: number = FIELD_SIZE, fitSize: number = FIT_SIZE): Float32Array | null {
  let top = height;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[y * width + x] > INK_THRESHOLD) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  if (bottom < 0) return null;
  const cropH = bottom - top + 1;
  const cropW = right - left + 1;
  const scale = fitSize / Math.max(cropH, cropW);
  const outH = Math.min(fitSize, Math.max(1, Math.floor(cropH * scale + 0.5)));
  const outW = Math.min(fitSize, Math.max(1, Math.floor(cropW * scale + 0.5)));
  const wy = areaWeights(cropH, outH);
  const wx = areaWeights(cropW, outW);
  // rows first (outH x cropW), then columns (outH x outW)
  const rowsScaled = new Float64Array(outH * cropW);
  for (let i = 0; i < outH; i++) {
    const {start, weights} = wy[i];
    for (let k = 0; k < weights.length; k++) {
      const w = weights[k];
      const src = (top + start + k) * width + left;
      for (let x = 0; x < cropW; x++) rowsScaled[i * cropW + x] += w * pixels[src + x];
    }
  }
  const small = new Float64Array(outH * outW);
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      const {start, weights} = wx[j];
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * rowsScaled[i * cropW + start + k];
      small[i * outW + j] = sum;
    }
  }
  let mass = 0;
  let sumY = 0;
  let sumX = 0;
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      const v = small[i * outW + j];
      mass += v;
      sumY += i * v;
      sumX += j * v;
    }
  }
  const cy = sumY / mass;
  const cx = sumX / mass;
  const offY = clamp(Math.floor(fieldSize / 2 - cy + EPSILON), 0, fieldSize - outH);
  const offX = clamp(Math.floor(fieldSize / 2 - cx + EPSILON), 0, fieldSize - outW);
  const field = new Float32Array(fieldSize * fieldSize);
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      field[(offY + i) * fieldSize + offX + j] = clamp(small[i * outW + j], 0, 1);
    }
  }
  return field;
}
