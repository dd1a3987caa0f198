import {OutputComponent, OutputSpec} from './types';

export interface ImageOutputSpec extends OutputSpec {
  valueRange: [number, number];
  scale: number;
}

export interface Picture {
  width: number;
  height: number;
  /** RGBA bytes, row-major. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
  /** How many values were outside the range (clamped) or not finite (drawn as the low end). */
  outside: number;
  nonFinite: number;
}

/**
 * RGBA pixels of a `(H, W)`, `(H, W, 1)`, `(H, W, 3)` or `(H, W, 4)` tensor: `range` maps linearly to
 * 0-255, values beyond it are clamped (and counted, so the page can say so).
 */
export function toPixels(values: ArrayLike<number>, shape: readonly number[], range: readonly [number, number]): Picture {
  const [height, width] = shape;
  const channels = shape.length === 3 ? shape[2] : 1;
  const [low, high] = range;
  const rgba = new Uint8ClampedArray(width * height * 4);
  let outside = 0;
  let nonFinite = 0;
  const byte = (v: number) => {
    if (!Number.isFinite(v)) {
      nonFinite += 1;
      return 0;
    }
    if (v < low || v > high) outside += 1;
    return Math.round((Math.min(high, Math.max(low, v)) - low) / (high - low) * 255);
  };
  for (let p = 0; p < width * height; p += 1) {
    const at = p * channels;
    if (channels === 1) {
      const g = byte(values[at]);
      rgba.set([g, g, g, 255], p * 4);
    } else {
      rgba.set([byte(values[at]), byte(values[at + 1]), byte(values[at + 2]),
        channels === 4 ? byte(values[at + 3]) : 255], p * 4);
    }
  }
  return {width, height, rgba, outside, nonFinite};
}

/** What the note under the picture says, or '' when every value was in range. */
export function rangeNote(picture: Picture, range: readonly [number, number]): string {
  const parts = [];
  if (picture.outside) parts.push(`${picture.outside} values are outside the declared range [${range[0]}, ${range[1]}] and were clamped`);
  if (picture.nonFinite) parts.push(`${picture.nonFinite} values are NaN or infinite and drawn as ${range[0]}`);
  return parts.length ? `${parts.join('; ')}.` : '';
}

/** A tensor drawn to a canvas, scaled up without smoothing. */
export class ImageOutput implements OutputComponent {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly note: HTMLElement;

  constructor(private readonly spec: ImageOutputSpec) {
    this.element = document.createElement('div');
    this.element.className = 'app-image-output';
    this.element.dataset.testid = 'output';
    this.element.dataset.type = 'image-output';
    const heading = document.createElement('h3');
    heading.textContent = spec.label;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'app-output-canvas';
    this.canvas.dataset.testid = 'image-output';
    this.canvas.width = 0;
    this.canvas.height = 0;
    this.note = document.createElement('p');
    this.note.className = 'meta app-warning';
    this.note.dataset.testid = 'image-output-note';
    this.note.hidden = true;
    this.element.append(heading, this.canvas, this.note);
  }

  show(values: ArrayLike<number>, shape: readonly number[]): void {
    const picture = toPixels(values, shape, this.spec.valueRange);
    // The canvas holds the image's own pixels; CSS scales it (pixelated), so it can also shrink to fit.
    this.canvas.width = picture.width;
    this.canvas.height = picture.height;
    this.canvas.style.width = `${picture.width * this.spec.scale}px`;
    this.canvas.getContext('2d')?.putImageData(new ImageData(picture.rgba, picture.width, picture.height), 0, 0);
    const note = rangeNote(picture, this.spec.valueRange);
    this.note.textContent = note;
    this.note.hidden = !note;
  }

  clear(): void {
    this.canvas.width = 0;
    this.canvas.height = 0;
    this.note.textContent = '';
    this.note.hidden = true;
  }
}
