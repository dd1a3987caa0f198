import {OutputComponent, OutputSpec} from './types';

export interface NumberOutputSpec extends OutputSpec {
  unit: string;
  decimals: number;
}

/** `3.14 cm` for 3.14159 with 2 decimals; non-finite values spelt out (`NaN`, `-Infinity`). */
export function formatValue(value: number, decimals: number, unit: string): string {
  const text = Number.isFinite(value) ? value.toFixed(decimals) : String(value);
  return unit ? `${text} ${unit}` : text;
}

/** One number per example, shown large. */
export class NumberOutput implements OutputComponent {
  readonly element: HTMLElement;
  private readonly value: HTMLElement;

  constructor(private readonly spec: NumberOutputSpec) {
    this.element = document.createElement('div');
    this.element.className = 'app-number-output';
    this.element.dataset.testid = 'output';
    this.element.dataset.type = 'number-output';
    const heading = document.createElement('h3');
    heading.textContent = spec.label;
    this.value = document.createElement('div');
    this.value.className = 'app-number-value';
    this.value.dataset.testid = 'number-output';
    this.element.append(heading, this.value);
  }

  show(values: ArrayLike<number>): void {
    const value = values[0];
    this.value.textContent = formatValue(value, this.spec.decimals, this.spec.unit);
    this.value.dataset.value = String(value);  // full precision, for tests and copying
  }

  clear(): void {
    this.value.textContent = '';
    delete this.value.dataset.value;
  }
}
