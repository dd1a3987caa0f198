import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../common/backend';
import {dataUrl, readPageConfig} from '../common/config';
import {loadModel} from '../common/model';
import {showError, showProgress} from '../common/progress';

interface SineConfig { modelUrl: string; xs: number[]; flax: number[] }

function byTestId<T extends HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element ${id}`);
  return el;
}

/** Run the model on a column of x values (the batch dimension is polymorphic). */
function predict(model: tf.GraphModel, xs: number[]): number[] {
  const out = tf.tidy(() => model.predict(tf.tensor2d(xs, [xs.length, 1])) as tf.Tensor);
  const values = Array.from(out.dataSync());
  out.dispose();
  return values;
}

async function main(): Promise<void> {
  const config = readPageConfig();
  const page = config as unknown as SineConfig;
  await initBackend(config.root);
  const model = await loadModel(dataUrl(config, page.modelUrl),
    (f) => showProgress(byTestId<HTMLProgressElement>('progress'), null, f));
  byTestId('status').textContent = `Model loaded; running on ${tf.getBackend()}.`;

  const tfjs = predict(model, page.xs);
  const rows = page.xs.map((x, i) => {
    const row = document.createElement('tr');
    for (const value of [x, Math.sin(x), page.flax[i], tfjs[i]]) {
      const cell = document.createElement('td');
      cell.textContent = value.toFixed(5);
      row.append(cell);
    }
    return row;
  });
  byTestId('rows').replaceChildren(...rows);

  const input = byTestId<HTMLInputElement>('x');
  const update = () => {
    const x = Number(input.value);
    byTestId('y').textContent = Number.isFinite(x) && input.value.trim() !== ''
      ? `model: ${predict(model, [x])[0].toFixed(4)}, sin(x): ${Math.sin(x).toFixed(4)}` : 'enter a number';
  };
  input.addEventListener('input', update);
  update();
}

main().catch((err) => {
  byTestId('status').textContent = 'Failed to start.';
  showError(byTestId('messages'), (err as Error).message);
});
