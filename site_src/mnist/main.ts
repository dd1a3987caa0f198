import * as tf from '@tensorflow/tfjs';
import {BACKEND_LABELS, initBackend} from '../common/backend';
import {dataUrl, readPageConfig} from '../common/config';
import {loadModel} from '../common/model';
import {showError, showProgress} from '../common/progress';
import {ProbabilityChart} from './chart';
import {DrawingPad} from './pad';
import {FIELD_SIZE, preprocess} from './preprocess';

interface MnistPageConfig { modelUrl: string }

const LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element ${id}`);
  return el;
}

/** Paint the 28x28 model input (ink = 1) white on black, the way MNIST stores digits. */
function paintInput(canvas: HTMLCanvasElement, input: Float32Array | null): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const image = ctx.createImageData(FIELD_SIZE, FIELD_SIZE);
  for (let i = 0; i < FIELD_SIZE * FIELD_SIZE; i++) {
    const v = input ? Math.round(input[i] * 255) : 0;
    image.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}

async function main(): Promise<void> {
  const config = readPageConfig();
  const page = config as unknown as MnistPageConfig;
  const results = byTestId('results');
  const status = byTestId('status');
  const messages = byTestId('messages');
  const bar = byTestId<HTMLProgressElement>('progress');
  const inputCanvas = byTestId<HTMLCanvasElement>('model-input');
  const chart = new ProbabilityChart(byTestId('probabilities'), byTestId('top-prediction'), LABELS);
  inputCanvas.width = FIELD_SIZE;
  inputCanvas.height = FIELD_SIZE;
  paintInput(inputCanvas, null);

  let model: tf.GraphModel | null = null;
  let frameRequested = false;
  let running = false;
  let dirty = false;

  // Predictions run at most once per animation frame; strokes drawn meanwhile mark the
  // result dirty so the latest drawing is always the one shown.
  const schedule = () => {
    dirty = true;
    results.dataset.state = 'busy';
    if (!frameRequested && !running) {
      frameRequested = true;
      requestAnimationFrame(() => {
        frameRequested = false;
        void predict();
      });
    }
  };

  const predict = async () => {
    if (!model || running) return;
    running = true;
    dirty = false;
    try {
      const input = pad.empty ? null : preprocess(pad.raster.pixels, pad.raster.size, pad.raster.size);
      paintInput(inputCanvas, input);
      if (!input) {
        chart.reset();
      } else {
        const output = tf.tidy(() => model!.predict(tf.tensor4d(input, [1, FIELD_SIZE, FIELD_SIZE, 1])) as tf.Tensor);
        const probabilities = await output.data();
        output.dispose();
        chart.show(probabilities);
      }
    } catch (err) {
      showError(messages, `prediction failed: ${(err as Error).message}`);
    } finally {
      running = false;
    }
    if (dirty) schedule();
    else results.dataset.state = 'ready';
  };

  const pad = new DrawingPad(byTestId<HTMLCanvasElement>('pad'), schedule);
  byTestId<HTMLButtonElement>('clear').addEventListener('click', () => {
    pad.clear();
    schedule();
  });

  try {
    status.textContent = 'Starting TensorFlow.js…';
    const backend = await initBackend(config.root);
    status.textContent = 'Loading the model…';
    model = await loadModel(dataUrl(config, page.modelUrl), (f) => showProgress(bar, byTestId('progress-label'), f));
    // one run on a blank digit compiles the backend's kernels before the first drawing
    tf.tidy(() => model!.predict(tf.zeros([1, FIELD_SIZE, FIELD_SIZE, 1])));
    status.textContent = `Model loaded; running on ${BACKEND_LABELS[backend] ?? backend}. Draw a digit!`;
    byTestId('backend').textContent = BACKEND_LABELS[backend] ?? backend;
    schedule();
  } catch (err) {
    status.textContent = 'The model could not be loaded.';
    showError(messages, (err as Error).message);
  }
}

void main();
