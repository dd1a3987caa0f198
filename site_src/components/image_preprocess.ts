/**
 * `app.Image`'s preprocessing on decoded RGBA pixels: the same steps and the same float64 arithmetic
 * as builders/app/image.py (see its docstring), so that an example file gives the array Python's
 * `preprocess` gives (tests/app/test_image_text.py checks it in Chromium). Pure logic, no DOM:
 * the component decodes the file onto a white canvas and hands the pixels over.
 */

export interface ImageOptions {
  height: number;
  width: number;
  channels: number;
  crop: 'center' | 'none';
  scale: number;
  offset: number;
  mean: number[];
  std: number[];
}

const GREY = [0.299, 0.587, 0.114];

/** One output pixel's source pixels: the first index and the weight of each (summing to 1). */
export interface BoxWeights { start: number; weights: number[] }

/** The box filter along one axis: output pixel i covers [start + length*i/out, start + length*(i+1)/out). */
export function boxWeights(source: number, start: number, length: number, out: number): BoxWeights[] {
  const result: BoxWeights[] = [];
  for (let i = 0; i < out; i++) {
    const lo = start + length * i / out;
    const hi = start + length * (i + 1) / out;
    const first = Math.max(0, Math.floor(lo));
    const last = Math.min(source, Math.ceil(hi));
    const weights: number[] = [];
    let total = 0;
    for (let k = first; k < last; k++) {
      const w = Math.max(0, Math.min(hi, k + 1) - Math.max(lo, k));
      weights.push(w);
      total += w;
    }
    result.push({start: first, weights: weights.map((w) => w / total)});
  }
  return result;
}

/** [x, y, box width, box height] of the part of the picture that is resampled. */
export function cropBox(width: number, height: number, outWidth: number, outHeight: number,
  crop: ImageOptions['crop']): [number, number, number, number] {
  if (crop === 'none') return [0, 0, width, height];
  if (width * outHeight > height * outWidth) {
    const box = height * outWidth / outHeight;
    return [(width - box) / 2, 0, box, height];
  }
  const box = width * outHeight / outWidth;
  return [0, (height - box) / 2, width, box];
}

/**
 * The model input, `(height, width, channels)` row-major float32, for opaque RGBA pixels
 * (`rgba.length === 4 * width * height`; alpha is ignored: the canvas composited it over white).
 */
export function preprocessImage(rgba: ArrayLike<number>, width: number, height: number,
  options: ImageOptions): Float32Array {
  const {channels, height: outHeight, width: outWidth} = options;
  const planes: Float64Array[] = [];
  for (let c = 0; c < channels; c++) planes.push(new Float64Array(width * height));
  for (let p = 0; p < width * height; p++) {
    const r = rgba[p * 4];
    const g = rgba[p * 4 + 1];
    const b = rgba[p * 4 + 2];
    if (channels === 1) {
      planes[0][p] = r * GREY[0] + g * GREY[1] + b * GREY[2];
    } else {
      planes[0][p] = r;
      planes[1][p] = g;
      planes[2][p] = b;
    }
  }
  const [x, y, boxWidth, boxHeight] = cropBox(width, height, outWidth, outHeight, options.crop);
  const wx = boxWeights(width, x, boxWidth, outWidth);
  const wy = boxWeights(height, y, boxHeight, outHeight);
  const out = new Float32Array(outHeight * outWidth * channels);
  const column = new Float64Array(width);
  for (let c = 0; c < channels; c++) {
    const plane = planes[c];
    for (let i = 0; i < outHeight; i++) {
      // rows first (as Python's tensordot over the height), then the columns
      column.fill(0);
      const {start, weights} = wy[i];
      weights.forEach((w, k) => {
        const row = (start + k) * width;
        for (let j = 0; j < width; j++) column[j] += w * plane[row + j];
      });
      for (let j = 0; j < outWidth; j++) {
        let v = 0;
        wx[j].weights.forEach((w, l) => { v += w * column[wx[j].start + l]; });
        out[(i * outWidth + j) * channels + c] = (v * options.scale + options.offset - options.mean[c]) / options.std[c];
      }
    }
  }
  return out;
}
