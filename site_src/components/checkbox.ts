import {ChangeListener, InputComponent, InputSpec, SpecValue, field, uniqueId} from './types';

export interface CheckboxSpec extends InputSpec {
  value: boolean;
}

/** A yes/no box. Feeds 1 (checked) or 0 as a float32. */
export class Checkbox implements InputComponent {
  readonly element: HTMLElement;
  private readonly input: HTMLInputElement;

  constructor(spec: CheckboxSpec, onChange: ChangeListener) {
    this.input = document.createElement('input');
    this.input.type = 'checkbox';
    this.input.id = uniqueId('checkbox');
    this.element = field(spec.label, this.input, this.input.id);
    this.element.classList.add('app-checkbox');
    this.element.dataset.type = 'checkbox';
    this.write(spec.value);
    this.input.addEventListener('change', onChange);
  }

  read(): number {
    return this.input.checked ? 1 : 0;
  }

  write(value: SpecValue): void {
    this.input.checked = Boolean(value);
  }
}
