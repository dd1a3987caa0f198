import {ChangeListener, InputComponent, InputSpec, SpecValue, field, uniqueId} from './types';

export interface DropdownSpec extends InputSpec {
  choices: string[];
  value: number;
}

/** A choice among names. Feeds the chosen index (int32; float32 when stacked with other scalars). */
export class Dropdown implements InputComponent {
  readonly element: HTMLElement;
  private readonly select: HTMLSelectElement;

  constructor(spec: DropdownSpec, onChange: ChangeListener) {
    this.select = document.createElement('select');
    this.select.id = uniqueId('dropdown');
    spec.choices.forEach((choice, i) => {
      const option = document.createElement('option');
      option.value = String(i);
      option.textContent = choice;
      this.select.append(option);
    });
    this.element = field(spec.label, this.select, this.select.id);
    this.element.dataset.type = 'dropdown';
    this.write(spec.value);
    this.select.addEventListener('change', onChange);
  }

  read(): number {
    return this.select.selectedIndex;
  }

  write(value: SpecValue): void {
    this.select.selectedIndex = Number(value);
  }
}
