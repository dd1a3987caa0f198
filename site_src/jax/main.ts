import * as tf from '@tensorflow/tfjs';
import {BACKEND_LABELS, initBackend} from '../common/backend';
import {dataUrl, readPageConfig} from '../common/config';
import {combinedProgress, loadModel, LoadProgress} from '../common/model';
import {showError, showProgress} from '../common/progress';
import {decodeMatrix, formatMatrix, JsonMatrix, maxAbsDiff, parseRows} from './rows';

interface ModelInfo { name: string; url: string; polymorphic: boolean }
interface JaxPageConfig { models: ModelInfo[]; inputs: JsonMatrix; jaxOutputs: JsonMatrix; rows: number }

const TOLERANCE = 1e-5;

function byTestId(root: ParentNode, id: string): HTMLElement {
  const el = root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element ${id}`);
  return el;
}

async function main(): Promise<void> {
  const config = readPageConfig();
  const page = config as unknown as JaxPageConfig;
  const inputs = decodeMatrix(page.inputs);
  const jaxOutputs = decodeMatrix(page.jaxOutputs);
  const input = byTestId(document, 'input-rows') as HTMLTextAreaElement;
  const button = byTestId(document, 'compute') as HTMLButtonElement;
  const status = byTestId(document, 'status');
  const messages = byTestId(document, 'messages');
  const bar = byTestId(document, 'progress') as HTMLProgressElement;
  input.value = inputs.map((r) => r.join(', ')).join('\n');

  const backend = await initBackend(config.root);
  const label = document.querySelector<HTMLElement>('[data-testid="progress-label"]');
  let loaded: LoadProgress | undefined;
  const reporters = combinedProgress(page.models.length, (f, detail) => {
    loaded = detail;
    showProgress(bar, label, f, detail);
  });
  const models = await Promise.all(page.models.map((m, i) => loadModel(dataUrl(config, m.url), reporters[i])));
  const source = loaded?.fromCache ? ' from the offline cache' : '';
  status.textContent = `Models loaded${source}; running on ${BACKEND_LABELS[backend] ?? backend}.`;

  const sections = page.models.map((info) => byTestId(document, `model-${info.name}`));
  // Outputs belong to the input they were computed from: once it is edited they are marked stale
  // (dimmed, with a note) until the button runs the models on the new input.
  const markStale = () => {
    for (const section of sections) {
      if (section.dataset.state === 'stale') continue;
      section.dataset.state = 'stale';
      const note = byTestId(section, 'stale-note');
      note.textContent = `Input edited: these outputs are for the previous input; press “${button.textContent}”.`;
      note.hidden = false;
    }
  };
  const compute = () => {
    messages.replaceChildren();
    for (const section of sections) {
      section.dataset.state = 'current';
      byTestId(section, 'stale-note').hidden = true;
    }
    let rows: number[][];
    try {
      rows = parseRows(input.value, 2);
    } catch (err) {
      showError(messages, (err as Error).message);
      return;
    }
    const isExample = maxAbsDiff(rows, inputs) === 0;
    page.models.forEach((info, i) => {
      const section = byTestId(document, `model-${info.name}`);
      const out = byTestId(section, 'tfjs-output');
      const jax = byTestId(section, 'jax-output');
      const match = byTestId(section, 'match');
      jax.textContent = isExample ? formatMatrix(jaxOutputs) : '(JAX ran at build time on the example input only)';
      if (!info.polymorphic && rows.length !== page.rows) {
        out.textContent = `this model takes exactly ${page.rows} rows`;
        match.textContent = '';
        match.dataset.state = 'none';
        return;
      }
      const result = tf.tidy(() => models[i].predict(tf.tensor2d(rows, [rows.length, 2], 'float32')) as tf.Tensor);
      const values = result.arraySync() as number[][];
      result.dispose();
      out.textContent = formatMatrix(values);
      if (isExample) {
        const err = maxAbsDiff(values, jaxOutputs);
        const ok = err <= TOLERANCE;
        match.textContent = ok ? `✓ TF.js matches JAX (max |error| ${err.toPrecision(2)})`
          : `✗ TF.js differs from JAX (max |error| ${err.toPrecision(2)})`;
        match.dataset.state = ok ? 'match' : 'mismatch';
      } else {
        match.textContent = 'Edited input: no JAX reference to compare with.';
        match.dataset.state = 'none';
      }
    });
  };
  button.disabled = false;
  button.addEventListener('click', compute);
  input.addEventListener('input', markStale);
  compute();
}

main().catch((err) => {
  const status = document.querySelector('[data-testid="status"]');
  if (status) status.textContent = 'Failed to start.';
  const messages = document.querySelector<HTMLElement>('[data-testid="messages"]');
  if (messages) showError(messages, (err as Error).message);
});
