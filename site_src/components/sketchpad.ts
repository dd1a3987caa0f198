import {DrawingPad} from './sketchpad_pad';
import {FIELD_SIZE, FIT_SIZE, areaWeights, preprocess} from './sketchpad_preprocess';
import {ChangeListener, InputComponent, InputSpec, SpecValue, field, uniqueId} from './types';

export interface SketchpadSpec extends InputSpec {
  size: number;
  stroke: number;
  invert: boolean;
  centerOfMass: boolean;
}

/** The whole `width` x `height` grey image scaled to `size` x `size` by area averaging. */
export function resizeArea(pixels: ArrayLike<number>, width: number, height: number, size: number): Float32Array {
  const wy = areaWeights(height, size);
  const wx = areaWeights(width, size);
  const out = new Float32Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let sum = 0;
      wy[i].weights.forEach((w, k) => {
        const row = (wy[i].start + k) * width + wx[j].start;
        wx[j].weights.forEach((v, l) => { sum += w * v * pixels[row + l]; });
      });
      out[i * size + j] = Math.min(1, Math.max(0, sum));
    }
  }
  return out;
}

/**
 * The model input for a drawing (a square grey raster, ink = 1): MNIST's crop, fit and centre of
 * mass (or the whole pad scaled down), then inverted when asked. An empty drawing is blank.
 */
export function sketchInput(pixels: ArrayLike<number>, rasterSize: number, spec: SketchpadSpec): Float32Array {
  const size = spec.size;
  const fit = Math.max(1, Math.round(size * FIT_SIZE / FIELD_SIZE));
  const image = (spec.centerOfMass ? preprocess(pixels, rasterSize, rasterSize, size, fit)
    : resizeArea(pixels, rasterSize, rasterSize, size)) ?? new Float32Array(size * size);
  return spec.invert ? image.map((v) => 1 - v) : image;
}

/** Paint a `size` x `size` grey image (1 = white) into `canvas`, scaled to fill it, pixels kept sharp. */
function paint(canvas: HTMLCanvasElement, image: ArrayLike<number>, size: number): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const small = document.createElement('canvas');
  small.width = size;
  small.height = size;
  const data = new ImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const v = Math.round(Math.min(1, Math.max(0, image[i])) * 255);
    data.data.set([v, v, v, 255], i * 4);
  }
  small.getContext('2d')?.putImageData(data, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

/** A drawing pad (mouse, pen, finger) with a Clear button and the image the model gets beside it. */
export class Sketchpad implements InputComponent {
  readonly element: HTMLElement;
  private readonly pad: DrawingPad;
  private readonly canvas: HTMLCanvasElement;
  private readonly preview: HTMLCanvasElement;
  private example: Float32Array | null = null;  // an example shown on the pad until the user draws

  constructor(private readonly spec: SketchpadSpec, onChange: ChangeListener) {
    this.canvas = document.createElement('canvas');
    this.canvas.id = uniqueId('sketchpad');
    this.canvas.className = 'app-pad';
    this.canvas.dataset.testid = 'pad';
    this.canvas.setAttribute('aria-label', `${spec.label}: draw here`);
    // Registered before the pad's own listener: drawing on an example starts a new drawing.
    this.canvas.addEventListener('pointerdown', () => {
      if (this.example) {
        this.example = null;
        this.pad.clear();
      }
    });
    this.pad = new DrawingPad(this.canvas, () => {
      this.showPreview();
      onChange();
    }, spec.stroke);
    this.preview = document.createElement('canvas');
    this.preview.className = 'app-pad-preview';
    this.preview.dataset.testid = 'pad-preview';
    this.preview.width = spec.size;
    this.preview.height = spec.size;
    this.preview.setAttribute('aria-label', `The ${spec.size} by ${spec.size} image the model gets`);
    const clear = document.createElement('button');
    clear.type = 'button';
    clear.textContent = 'Clear';
    clear.dataset.testid = 'clear';
    clear.addEventListener('click', () => {
      this.example = null;
      this.pad.clear();
      this.showPreview();
      onChange();
    });
    const row = document.createElement('div');
    row.className = 'app-sketch';
    const side = document.createElement('div');
    side.className = 'app-sketch-side';
    side.append(this.preview, clear);
    row.append(this.canvas, side);
    this.element = field(spec.label, row, this.canvas.id);
    this.element.dataset.type = 'sketchpad';
    this.showPreview();
  }

  read(): Float32Array {
    return this.example ?? sketchInput(this.pad.raster.pixels, this.pad.raster.size, this.spec);
  }

  empty(): boolean {
    return !this.example && this.pad.empty;
  }

  write(value: SpecValue): void {
    const image = Float32Array.from(value as number[]);
    this.pad.clear();
    // the pad shows ink white on black whatever the model gets
    paint(this.canvas, this.spec.invert ? image.map((v) => 1 - v) : image, this.spec.size);
    this.example = image;
    this.showPreview();
  }

  private showPreview(): void {
    paint(this.preview, this.read(), this.spec.size);
  }
}
