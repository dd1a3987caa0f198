import {ImageOptions, preprocessImage} from './image_preprocess';
import {ChangeListener, InputComponent, InputSpec, SpecValue, field, uniqueId} from './types';

export interface ImageSpec extends InputSpec, ImageOptions {
  camera: boolean;
  /** The examples' image files: name (an example's value) -> URL (main.ts resolves them). */
  files?: Record<string, string>;
}

/** Decoded pixels, upright, composited over white: what builders/app/image.py's `decode` gives. */
export async function decodeImage(blob: Blob, canvas: HTMLCanvasElement): Promise<ImageData> {
  // No colour management and straight alpha, like PIL (which ignores ICC profiles); EXIF
  // orientation applied, like ImageOps.exif_transpose.
  const bitmap = await createImageBitmap(blob, {colorSpaceConversion: 'none', premultiplyAlpha: 'none',
    imageOrientation: 'from-image'});
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  if (!ctx) throw new Error('this browser cannot draw on a canvas');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, bitmap.width, bitmap.height);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

/** Paint the model's input (`(h, w, c)` floats) into `canvas`, each channel stretched to its own range. */
function paintInput(canvas: HTMLCanvasElement, data: Float32Array, spec: ImageSpec): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const {width, height, channels} = spec;
  const image = new ImageData(width, height);
  const lo: number[] = [];
  const hi: number[] = [];
  for (let c = 0; c < channels; c++) {
    lo.push(Infinity);
    hi.push(-Infinity);
    for (let p = c; p < data.length; p += channels) {
      lo[c] = Math.min(lo[c], data[p]);
      hi[c] = Math.max(hi[c], data[p]);
    }
  }
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) {
      const c = channels === 1 ? 0 : k;
      const span = hi[c] - lo[c] || 1;
      // `scale` < 0 (ink 1 on paper 0): shown the right way round, dark on light
      const v = (data[p * channels + c] - lo[c]) / span;
      image.data[p * 4 + k] = Math.round((spec.scale < 0 ? 1 - v : v) * 255);
    }
    image.data[p * 4 + 3] = 255;
  }
  canvas.width = width;
  canvas.height = height;
  ctx.putImageData(image, 0, 0);
}

let pasteTaken = false;  // the first Image component on the page takes pastes anywhere on it

/** A picture from a file, a drop, a paste or the camera, shown with the array the model gets beside it. */
export class Image implements InputComponent {
  readonly element: HTMLElement;
  private readonly picture: HTMLCanvasElement;
  private readonly preview: HTMLCanvasElement;
  private readonly note: HTMLElement;
  private data: Float32Array | null = null;
  private source: string | null = null;  // the example shown, until the user picks a picture
  private loads = 0;

  constructor(private readonly spec: ImageSpec, private readonly onChange: ChangeListener) {
    const zone = document.createElement('div');
    zone.className = 'app-image-drop';
    zone.dataset.testid = 'image-drop';
    zone.tabIndex = 0;
    zone.setAttribute('aria-label', `${spec.label}: drop or paste a picture here`);
    this.picture = document.createElement('canvas');
    this.picture.className = 'app-image-picture';
    this.picture.dataset.testid = 'image-picture';
    this.picture.width = 0;
    this.note = document.createElement('p');
    this.note.className = 'meta app-image-note';
    this.note.dataset.testid = 'image-note';
    this.note.textContent = 'Drop a picture here, paste one, or choose a file.';
    zone.append(this.picture, this.note);

    const file = this.fileInput(false);
    file.dataset.testid = 'image-file';
    const choose = this.button('Choose a picture', () => file.click());
    const buttons = document.createElement('div');
    buttons.className = 'app-image-buttons';
    buttons.append(choose, file);
    if (spec.camera) {
      const camera = this.fileInput(true);
      camera.dataset.testid = 'image-camera';
      buttons.append(this.button('Take a photo', () => camera.click()), camera);
    }
    this.preview = document.createElement('canvas');
    this.preview.className = 'app-pad-preview';
    this.preview.dataset.testid = 'image-preview';
    this.preview.setAttribute('aria-label', `The ${spec.width} by ${spec.height} image the model gets`);
    buttons.append(this.preview);

    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('app-image-over');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('app-image-over'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('app-image-over');
      const dropped = Array.from(e.dataTransfer?.files ?? []).find((f) => f.type.startsWith('image/'));
      if (dropped) void this.fromUser(dropped);
    });
    const paste = (e: ClipboardEvent) => {
      const item = Array.from(e.clipboardData?.items ?? []).find((i) => i.type.startsWith('image/'));
      const blob = item?.getAsFile();
      if (blob) {
        e.preventDefault();
        void this.fromUser(blob);
      }
    };
    if (!pasteTaken) {
      pasteTaken = true;
      document.addEventListener('paste', paste);
    } else {
      zone.addEventListener('paste', paste);
    }

    const wrap = document.createElement('div');
    wrap.className = 'app-image';
    wrap.append(zone, buttons);
    this.element = field(spec.label, wrap, file.id);
    this.element.dataset.type = 'image';
    paintInput(this.preview, new Float32Array(spec.width * spec.height * spec.channels), spec);
  }

  private fileInput(camera: boolean): HTMLInputElement {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = 'image/*';
    input.id = uniqueId('image');
    input.hidden = true;
    if (camera) input.setAttribute('capture', 'environment');  // a phone opens its camera
    input.addEventListener('change', () => {
      const chosen = input.files?.[0];
      if (chosen) void this.fromUser(chosen);
      input.value = '';  // the same file again is a change too
    });
    return input;
  }

  private button(text: string, click: () => void): HTMLButtonElement {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = text;
    button.addEventListener('click', click);
    return button;
  }

  private async fromUser(blob: Blob): Promise<void> {
    if (await this.load(blob, null)) this.onChange();
  }

  /** Decode and preprocess `blob`; false (and a note) when it is not a picture or a newer one came. */
  private async load(blob: Blob, source: string | null): Promise<boolean> {
    const load = ++this.loads;
    try {
      const canvas = document.createElement('canvas');
      const pixels = await decodeImage(blob, canvas);
      if (load !== this.loads) return false;
      this.data = preprocessImage(pixels.data, pixels.width, pixels.height, this.spec);
      this.source = source;
      this.picture.width = pixels.width;
      this.picture.height = pixels.height;
      this.picture.getContext('2d')?.drawImage(canvas, 0, 0);
      this.note.textContent = `${pixels.width} × ${pixels.height} pixels; the model gets ${this.spec.width} × ` +
        `${this.spec.height}${this.spec.crop === 'center' ? ', the centre cropped to fit' : ''}.`;
      paintInput(this.preview, this.data, this.spec);
      this.element.dataset.state = 'loaded';
      return true;
    } catch {
      if (load === this.loads) {
        this.note.textContent = 'This file is not a picture this browser can read; try a PNG or JPEG.';
        this.element.dataset.state = 'error';
      }
      return false;
    }
  }

  read(): Float32Array {
    return this.data ?? new Float32Array(this.spec.width * this.spec.height * this.spec.channels);
  }

  empty(): boolean {
    return this.data === null;
  }

  matches(value: SpecValue): boolean {
    return this.source !== null && this.source === value;
  }

  async write(value: SpecValue): Promise<void> {
    const url = this.spec.files?.[String(value)];
    if (!url) throw new Error(`the page has no example picture ${String(value)}`);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`the example picture ${url} could not be loaded (${response.status})`);
    if (!await this.load(await response.blob(), String(value))) {
      throw new Error(`the example picture ${url} could not be decoded`);
    }
  }
}
