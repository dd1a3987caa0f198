import {OutputComponent, OutputSpec} from './types';

export interface TextOutputSpec extends OutputSpec {
  mode: 'argmax' | 'tokens';
  names?: string[];
  vocab?: string[];
  skip?: string[];
  separator?: string;
}

export interface Decoded {
  text: string;
  /** Empty, or what could not be decoded (shown as an error, never dropped silently). */
  problem: string;
}

/** The index of the largest finite value (the first on ties), or -1 when there is none. */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < values.length; i += 1) {
    if (Number.isFinite(values[i]) && (best < 0 || values[i] > values[best])) best = i;
  }
  return best;
}

/** The string the spec makes of the numbers: the best score's name, or the ids' tokens. */
export function decode(spec: Pick<TextOutputSpec, 'mode' | 'names' | 'vocab' | 'skip' | 'separator'>,
  values: ArrayLike<number>): Decoded {
  if (spec.mode === 'argmax') {
    const names = spec.names ?? [];
    const best = argmax(values);
    if (best < 0) return {text: '', problem: 'The model returned no finite score.'};
    return {text: names[best] ?? '', problem: ''};
  }
  const vocab = spec.vocab ?? [];
  const skip = new Set(spec.skip ?? []);
  const tokens: string[] = [];
  const bad: string[] = [];
  Array.from(values).forEach((v, i) => {
    const id = Math.round(v);
    if (!Number.isFinite(v) || Math.abs(v - id) > 1e-3 || id < 0 || id >= vocab.length) {
      bad.push(`${v} at position ${i}`);
      tokens.push('\uFFFD');  // the replacement character marks where it was
    } else if (!skip.has(vocab[id])) {
      tokens.push(vocab[id]);
    }
  });
  const problem = bad.length ? `${bad.length} id${bad.length > 1 ? 's are' : ' is'} not in the vocabulary of ` +
    `${vocab.length} tokens (0 to ${vocab.length - 1}): ${bad.slice(0, 5).join(', ')}` +
    `${bad.length > 5 ? ` and ${bad.length - 5} more` : ''}.` : '';
  return {text: tokens.join(spec.separator ?? ' '), problem};
}

/** A string chosen or decoded from the model's numbers. */
export class TextOutput implements OutputComponent {
  readonly element: HTMLElement;
  private readonly text: HTMLElement;
  private readonly note: HTMLElement;

  constructor(private readonly spec: TextOutputSpec) {
    this.element = document.createElement('div');
    this.element.className = 'app-text-output';
    this.element.dataset.testid = 'output';
    this.element.dataset.type = 'text-output';
    const heading = document.createElement('h3');
    heading.textContent = spec.label;
    this.text = document.createElement('p');
    this.text.className = 'app-text-value';
    this.text.dataset.testid = 'text-output';
    this.note = document.createElement('p');
    this.note.className = 'meta app-warning';
    this.note.dataset.testid = 'text-output-note';
    this.note.hidden = true;
    this.element.append(heading, this.text, this.note);
  }

  show(values: ArrayLike<number>): void {
    const {text, problem} = decode(this.spec, values);
    this.text.textContent = text;
    this.note.textContent = problem;
    this.note.hidden = !problem;
  }

  clear(): void {
    this.text.textContent = '';
    this.note.textContent = '';
    this.note.hidden = true;
  }
}
