import {OutputComponent, OutputSpec} from './types';

/** Row-major `values` as nested arrays of `shape` (a number for shape []). */
export function nest(values: ArrayLike<number>, shape: readonly number[]): unknown {
  if (shape.length === 0) return values[0];
  const [first, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({length: first}, (_, i) =>
    nest(Array.prototype.slice.call(values, i * size, (i + 1) * size), rest));
}

/** JSON text of the numbers, each to 6 significant digits (float32 carries about 7). */
export function formatJson(values: ArrayLike<number>, shape: readonly number[]): string {
  const rounded = Array.from(values, (v) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : String(v)));
  return JSON.stringify(nest(rounded as unknown as number[], shape));
}

/** The raw numbers `fn` returned, as JSON. */
export class JsonOutput implements OutputComponent {
  readonly element: HTMLElement;
  private readonly pre: HTMLPreElement;

  constructor(spec: OutputSpec) {
    this.element = document.createElement('div');
    this.element.className = 'app-json';
    this.element.dataset.testid = 'output';
    this.element.dataset.type = 'json';
    const heading = document.createElement('h3');
    heading.textContent = spec.label;
    this.pre = document.createElement('pre');
    this.pre.dataset.testid = 'json-output';
    this.element.append(heading, this.pre);
  }

  show(values: ArrayLike<number>, shape: readonly number[]): void {
    this.pre.textContent = formatJson(values, shape);
    // the full-precision numbers, for tests and for copying
    this.pre.dataset.values = JSON.stringify(Array.from(values, (v) => (Number.isFinite(v) ? v : String(v))));
  }

  clear(): void {
    this.pre.textContent = '';
    delete this.pre.dataset.values;
  }
}
