import {OutputComponent, OutputSpec} from './types';

export type Activation = 'softmax' | 'sigmoid' | null;

export interface LabelSpec extends OutputSpec {
  names: string[];
  top: number;
  activation: Activation;
}

/** Probabilities from scores: softmax (one class among all), sigmoid (each on its own) or as they are. */
export function activate(scores: ArrayLike<number>, activation: Activation): number[] {
  const values = Array.from(scores);
  if (activation === 'sigmoid') return values.map((v) => 1 / (1 + Math.exp(-v)));
  if (activation !== 'softmax') return values;
  const max = Math.max(...values);  // subtracted so large logits do not overflow exp()
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export interface Ranked {
  index: number;
  name: string;
  value: number;
}

/** The `k` largest values with their names, largest first (ties keep the names' order). */
export function topK(values: readonly number[], names: readonly string[], k: number): Ranked[] {
  return values.map((value, index) => ({index, name: names[index], value}))
    .sort((a, b) => b.value - a.value || a.index - b.index)
    .slice(0, Math.max(0, k));
}

/** `97.3%` for a probability; the number itself (4 significant digits) when there is no activation. */
export function formatScore(value: number, activation: Activation): string {
  if (activation === null) return String(Number(value.toPrecision(4)));
  return `${(value * 100).toFixed(1)}%`;
}

/** The top-k names with bars; the best one also shown large. */
export class Label implements OutputComponent {
  readonly element: HTMLElement;
  private readonly best: HTMLElement;
  private readonly list: HTMLOListElement;

  constructor(private readonly spec: LabelSpec) {
    this.element = document.createElement('div');
    this.element.className = 'app-label';
    this.element.dataset.testid = 'output';
    this.element.dataset.type = 'label';
    const heading = document.createElement('h3');
    heading.textContent = spec.label;
    this.best = document.createElement('div');
    this.best.className = 'app-label-best';
    this.best.dataset.testid = 'label-best';
    this.list = document.createElement('ol');
    this.list.className = 'app-label-bars';
    this.list.dataset.testid = 'label-rows';
    this.element.append(heading, this.best, this.list);
  }

  show(values: ArrayLike<number>): void {
    const probabilities = activate(values, this.spec.activation);
    const ranked = topK(probabilities, this.spec.names, this.spec.top);
    this.best.textContent = ranked[0]?.name ?? '';
    this.list.replaceChildren(...ranked.map((r, i) => this.row(r, i === 0)));
  }

  private row(r: Ranked, best: boolean): HTMLLIElement {
    const item = document.createElement('li');
    item.dataset.name = r.name;
    item.dataset.value = String(r.value);
    item.classList.toggle('best', best);
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = r.name;
    const track = document.createElement('span');
    track.className = 'track';
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${(Math.min(1, Math.max(0, r.value)) * 100).toFixed(1)}%`;
    track.append(bar);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = formatScore(r.value, this.spec.activation);
    item.append(name, track, value);
    return item;
  }

  clear(): void {
    this.best.textContent = '';
    this.list.replaceChildren();
  }
}
