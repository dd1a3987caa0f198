import {formatNumber} from './slider';
import {ChangeListener, InputComponent, InputSpec, SpecValue, field, uniqueId} from './types';

export interface NumberSpec extends InputSpec {
  value: number;
}

/** The number typed in a box, or null when the text is not a finite number. */
export function parseNumber(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** A box for any number. Feeds a float32; text that is not a number keeps the last number. */
export class NumberInput implements InputComponent {
  readonly element: HTMLElement;
  private readonly input: HTMLInputElement;
  private value: number;

  constructor(spec: NumberSpec, onChange: ChangeListener) {
    this.input = document.createElement('input');
    this.input.type = 'text';
    this.input.inputMode = 'decimal';
    this.input.id = uniqueId('number');
    this.input.size = 10;
    this.element = field(spec.label, this.input, this.input.id);
    this.element.dataset.type = 'number';
    this.value = spec.value;
    this.write(spec.value);
    this.input.addEventListener('input', () => {
      const value = parseNumber(this.input.value);
      this.input.setAttribute('aria-invalid', String(value === null));
      if (value === null) return;
      this.value = value;
      onChange();
    });
  }

  read(): number {
    return this.value;
  }

  write(value: SpecValue): void {
    this.value = Number(value);
    this.input.value = formatNumber(this.value);
    this.input.removeAttribute('aria-invalid');
  }
}
