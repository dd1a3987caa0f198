import {ChangeListener, InputComponent, InputSpec, SpecValue, field, uniqueId} from './types';

export interface SliderSpec extends InputSpec {
  min: number;
  max: number;
  value: number;
  step: number | null;
}

/** A number for display: at most 4 decimals, no trailing zeros, no float32 noise (5.0999999 -> 5.1). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** `value` kept inside [min, max] (a typed number out of range, or an example the slider cannot show). */
export function clampToRange(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** A range input with the value beside it. Feeds a float32. */
export class Slider implements InputComponent {
  readonly element: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly shown: HTMLOutputElement;
  private value: number;

  constructor(private readonly spec: SliderSpec, onChange: ChangeListener) {
    this.input = document.createElement('input');
    this.input.type = 'range';
    this.input.id = uniqueId('slider');
    this.input.min = String(spec.min);
    this.input.max = String(spec.max);
    this.input.step = spec.step === null ? 'any' : String(spec.step);
    this.shown = document.createElement('output');
    this.shown.htmlFor.add(this.input.id);
    const row = document.createElement('div');
    row.className = 'app-slider';
    row.append(this.input, this.shown);
    this.element = field(spec.label, row, this.input.id);
    this.element.dataset.type = 'slider';
    this.value = spec.value;
    this.write(spec.value);
    this.input.addEventListener('input', () => {
      this.value = this.input.valueAsNumber;
      this.shown.textContent = formatNumber(this.value);
      onChange();
    });
  }

  read(): number {
    return this.value;
  }

  write(value: SpecValue): void {
    // The exact example value is kept (the range input may round it to its step).
    this.value = clampToRange(Number(value), this.spec.min, this.spec.max);
    this.input.value = String(this.value);
    this.shown.textContent = formatNumber(this.value);
  }
}
