/**
 * The one generic page of demos declared with `builders.app`: mounts one component per declared
 * input and output (site_src/components/), loads the model, runs it when an input changes (or on
 * Run), and shows the backend, the latency of the last run and an examples gallery. Everything
 * it needs is in the page config, written by builders/app/publish.py.
 */
import * as tf from '@tensorflow/tfjs';
import {executeGraph} from '../common/execute';
import {BACKEND_LABELS} from '../common/backend';
import {describeSkip, loadOnCheckedBackend, PROBED_BACKENDS} from '../common/checked_backend';
import {PageConfig, dataUrl, readPageConfig} from '../common/config';
import {loadModel} from '../common/model';
import {showError, showNote, showProgress} from '../common/progress';
import {warmUp} from '../common/warmup';
import {Checkbox, CheckboxSpec} from '../components/checkbox';
import {Dropdown, DropdownSpec} from '../components/dropdown';
import {Highlight, HighlightSpec} from '../components/highlight';
import {Image, ImageSpec} from '../components/image';
import {ImageOutput, ImageOutputSpec} from '../components/image_output';
import {JsonOutput} from '../components/json';
import {Label, LabelSpec} from '../components/label';
import {NumberInput, NumberSpec} from '../components/number';
import {NumberOutput, NumberOutputSpec} from '../components/number_output';
import {Plot, PlotSpec} from '../components/plot';
import {Sketchpad, SketchpadSpec} from '../components/sketchpad';
import {Slider, SliderSpec, formatNumber} from '../components/slider';
import {Text, TextSpec} from '../components/text';
import {TextOutput, TextOutputSpec} from '../components/text_output';
import {
  ChangeListener, InputComponent, InputSpec, OutputComponent, OutputSpec, SpecValue,
} from '../components/types';
import {ModelInputSpec, buildFeeds, maxAbsDiff, sameValues} from './feeds';

interface Example { values: SpecValue[]; outputs: number[][] }

interface AppSpec {
  title: string;
  live: boolean;
  stacked: boolean;
  model: string;
  inputs: InputSpec[];
  outputs: OutputSpec[];
  examples: Example[];
  modelInputs: ModelInputSpec[];
  modelOutputs: string[];
  /** How far TF.js may be from JAX at build time, relative to the largest output (at least 1). */
  tolerance: number;
  /** Set when the model is exact only on these backends (it needs true int32 arithmetic). */
  backends?: string[];
}

const INPUTS: Record<string, (spec: InputSpec, onChange: ChangeListener) => InputComponent> = {
  slider: (spec, onChange) => new Slider(spec as SliderSpec, onChange),
  number: (spec, onChange) => new NumberInput(spec as NumberSpec, onChange),
  dropdown: (spec, onChange) => new Dropdown(spec as DropdownSpec, onChange),
  checkbox: (spec, onChange) => new Checkbox(spec as CheckboxSpec, onChange),
  sketchpad: (spec, onChange) => new Sketchpad(spec as SketchpadSpec, onChange),
  image: (spec, onChange) => new Image(spec as ImageSpec, onChange),
  text: (spec, onChange) => new Text(spec as TextSpec, onChange),
};

const OUTPUTS: Record<string, (spec: OutputSpec) => OutputComponent> = {
  label: (spec) => new Label(spec as LabelSpec),
  json: (spec) => new JsonOutput(spec),
  'number-output': (spec) => new NumberOutput(spec as NumberOutputSpec),
  'text-output': (spec) => new TextOutput(spec as TextOutputSpec),
  'image-output': (spec) => new ImageOutput(spec as ImageOutputSpec),
  plot: (spec) => new Plot(spec as PlotSpec),
  highlight: (spec) => new Highlight(spec as HighlightSpec),
};

function byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`the page has no element ${id}`);
  return el;
}

function mount<S extends {type: string}, C>(specs: S[], makers: Record<string, (spec: S) => C>): C[] {
  return specs.map((spec) => {
    const make = makers[spec.type];
    if (!make) throw new Error(`this page cannot show a "${spec.type}" component; rebuild the site with this tool`);
    return make(spec);
  });
}

/** A small picture of an example's value for the gallery: its number, choice, or image. */
function exampleCell(spec: InputSpec, value: SpecValue): HTMLElement {
  const cell = document.createElement('td');
  if (spec.type === 'sketchpad') {
    const size = Number(spec.size);
    const canvas = document.createElement('canvas');
    canvas.width = size;
    canvas.height = size;
    canvas.className = 'app-example-image';
    const image = new ImageData(size, size);
    (value as number[]).forEach((v, i) => {
      const grey = Math.round(Math.min(1, Math.max(0, spec.invert ? 1 - v : v)) * 255);
      image.data.set([grey, grey, grey, 255], i * 4);
    });
    canvas.getContext('2d')?.putImageData(image, 0, 0);
    cell.append(canvas);
  } else if (spec.type === 'image') {
    const image = document.createElement('img');
    image.src = (spec.files as Record<string, string>)[String(value)];
    image.alt = `example picture ${String(value).replace(/^[0-9a-f]+-/, '')}`;
    image.className = 'app-example-image';
    cell.append(image);
  } else if (spec.type === 'text') {
    const text = String(value);
    cell.textContent = text.length > 80 ? `${text.slice(0, 79)}…` : text;
    cell.title = text;
  } else if (spec.type === 'dropdown') {
    cell.textContent = (spec.choices as string[])[Number(value)] ?? String(value);
  } else if (spec.type === 'checkbox') {
    cell.textContent = value ? '✓' : '✗';
  } else {
    cell.textContent = formatNumber(Number(value));
  }
  return cell;
}

/** The gallery: a table, one row per example, each with a button that fills the inputs and runs. */
function gallery(container: HTMLElement, spec: AppSpec, choose: (index: number) => void): void {
  const table = document.createElement('table');
  table.className = 'app-examples-table';
  const head = table.createTHead().insertRow();
  head.append(document.createElement('th'));
  for (const input of spec.inputs) {
    const th = document.createElement('th');
    th.textContent = input.label;
    head.append(th);
  }
  const body = table.createTBody();
  spec.examples.forEach((example, i) => {
    const row = body.insertRow();
    const first = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `Example ${i + 1}`;
    button.dataset.testid = `example-${i}`;
    button.addEventListener('click', () => choose(i));
    first.append(button);
    row.append(first, ...spec.inputs.map((input, j) => exampleCell(input, example.values[j])));
  });
  container.append(table);
}

async function runModel(model: tf.GraphModel, spec: AppSpec, feeds: ReturnType<typeof buildFeeds>): Promise<{
  data: ArrayLike<number>[]; shapes: number[][];
}> {
  const tensors: tf.NamedTensorMap = {};
  for (const feed of feeds) tensors[feed.name] = tf.tensor(feed.data, feed.shape, feed.data instanceof Int32Array ? 'int32' : 'float32');
  try {
    const list = await executeGraph(model, tensors, spec.modelOutputs);
    const data = await Promise.all(list.map((t) => t.data() as Promise<ArrayLike<number>>));
    const shapes = list.map((t) => t.shape.slice(1));
    tf.dispose(list);
    return {data, shapes};
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

async function main(): Promise<void> {
  const config: PageConfig = readPageConfig();
  const spec = config as unknown as AppSpec;
  const status = byTestId('status');
  const messages = byTestId('messages');
  const results = byTestId('outputs');
  const match = byTestId('match');
  const runButton = document.querySelector<HTMLButtonElement>('[data-testid="run"]');
  let model: tf.GraphModel | null = null;
  let backend = '';
  let running = false;
  let dirty = false;
  let frameRequested = false;

  // An input's files (a vocabulary, the examples' pictures) sit beside model.json.
  const modelUrl = dataUrl(config, spec.model);
  for (const input of spec.inputs) {
    const files = input.files as Record<string, string> | undefined;
    if (files) input.files = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, new URL(v, modelUrl).href]));
  }
  const inputs = mount(spec.inputs, Object.fromEntries(Object.entries(INPUTS).map(
    ([type, make]) => [type, (s: InputSpec) => make(s, () => changed())])));
  const outputs = mount(spec.outputs, OUTPUTS);
  outputs.forEach((c) => c.connect?.(inputs, spec.inputs));  // a Highlight shows a Text input's tokens
  byTestId('inputs').append(...inputs.map((c) => c.element));
  byTestId('output-components').append(...outputs.map((c) => c.element));

  // For an example (index >= 0): whether TF.js gave here what JAX gave at build time.
  const showMatch = (index: number, data: ArrayLike<number>[] = []) => {
    results.dataset.example = index >= 0 ? String(index) : '';
    if (index < 0) {
      match.textContent = '';
      match.dataset.state = 'none';
      return;
    }
    const expected = spec.examples[index].outputs;
    const error = Math.max(...expected.map((o, i) => maxAbsDiff(data[i], o)));
    const ok = error <= spec.tolerance * Math.max(1, ...expected.flat().map(Math.abs));
    match.textContent = `${ok ? '✓ Same as' : '✗ Differs from'} JAX at build time on example ${index + 1} ` +
      `(largest difference ${error.toPrecision(2)}).`;
    match.dataset.state = ok ? 'match' : 'mismatch';
  };

  const run = async () => {
    if (!model || running) return;
    running = true;
    dirty = false;
    try {
      if (inputs.some((c) => c.empty?.())) {
        outputs.forEach((c) => c.clear());  // nothing to read yet (an empty pad): no guess shown
        showMatch(-1);
      } else {
        const values = inputs.map((c) => c.read());
        const feeds = buildFeeds(values, spec.stacked, spec.modelInputs);
        // What the model got, for the curious and for the tests (the browser's preprocessing, exactly).
        (window as unknown as {appLastFeeds: unknown}).appLastFeeds = feeds.map((f) => ({...f, data: Array.from(f.data)}));
        const start = performance.now();
        const {data, shapes} = await runModel(model, spec, feeds);
        const ms = performance.now() - start;
        outputs.forEach((c, i) => c.show(data[i], shapes[i], values));
        byTestId('latency').textContent = `${ms.toFixed(1)} ms`;
        showMatch(spec.examples.findIndex((e) => inputs.every((c, j) => (c.matches
          ? c.matches(e.values[j]) : sameValues([values[j]], [e.values[j]])))), data);
      }
      results.dataset.state = 'ready';
    } catch (err) {
      results.dataset.state = 'error';
      showError(messages, `The model could not run: ${(err as Error).message}`);
    } finally {
      running = false;
    }
    if (dirty) schedule();
  };

  // At most one run per animation frame; changes made meanwhile mark the result dirty, so the
  // latest input is always the one shown.
  const schedule = () => {
    dirty = true;
    results.dataset.state = 'busy';
    if (!frameRequested && !running) {
      frameRequested = true;
      requestAnimationFrame(() => {
        frameRequested = false;
        void run();
      });
    }
  };

  function changed(): void {
    results.dataset.example = '';
    if (spec.live) schedule();
    else if (!running) results.dataset.state = 'stale';  // shown dimmed until Run is pressed
  }

  if (spec.examples.length) {
    gallery(byTestId('examples'), spec, (i) => {
      results.dataset.state = 'busy';
      Promise.all(inputs.map((c, j) => c.write(spec.examples[i].values[j]))).then(schedule, (err: Error) => {
        results.dataset.state = 'error';
        showError(messages, err.message);
      });
      // on a phone the outputs sit above the gallery: bring them back into view
      if (results.getBoundingClientRect().top < 0) results.scrollIntoView({block: 'start', behavior: 'smooth'});
    });
  }
  runButton?.addEventListener('click', schedule);

  try {
    status.textContent = 'Loading the model…';
    // Each backend in turn (WebGPU first) until one gives JAX's numbers on the model's probe,
    // which also compiles its kernels before the first real run.
    const checked = await loadOnCheckedBackend(config.root, () => loadModel(dataUrl(config, spec.model),
      (f, detail) => showProgress(byTestId<HTMLProgressElement>('progress'), byTestId('progress-label'), f, detail)),
    spec.backends ?? PROBED_BACKENDS);
    model = checked.model;
    backend = checked.backend;
    if (!checked.probed) await warmUp(model);
    for (const failure of checked.failures) showNote(messages, describeSkip(failure, backend));
    const name = BACKEND_LABELS[backend] ?? backend;
    byTestId('backend').textContent = name;
    status.textContent = `Model loaded; running on ${name}.`;
    if (runButton) runButton.disabled = false;
    schedule();
  } catch (err) {
    status.textContent = 'The model could not be loaded.';
    results.dataset.state = 'error';
    showError(messages, (err as Error).message);
  }
}

main().catch((err) => {
  const messages = document.querySelector<HTMLElement>('[data-testid="messages"]');
  if (messages) showError(messages, (err as Error).message);
});
