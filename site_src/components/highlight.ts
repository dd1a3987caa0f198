import {InputComponent, InputSpec, InputValue, OutputComponent, OutputSpec} from './types';
import {formatNumber} from './slider';

export interface HighlightSpec extends OutputSpec {
  /** The label of the Text input whose tokens it shows. */
  input: string;
  valueRange: [number, number];
}

/** An input that can say which token sits at each position it feeds the model (the Text input). */
export interface TokenSource {
  /** One token per position of `ids` (by default the current ones), padding left out. */
  tokens(ids?: Int32Array): string[];
}

export interface Shaded {
  token: string;
  score: number;
  /** 0 (none) to 1 (full), the score placed in the declared range and clamped. */
  alpha: number;
}

/** Each token with its score and shade; positions past the tokens (padding) are left out. */
export function shade(tokens: readonly string[], scores: ArrayLike<number>, range: readonly [number, number]): Shaded[] {
  const [low, high] = range;
  return tokens.slice(0, scores.length).map((token, i) => {
    const score = scores[i];
    const alpha = Number.isFinite(score) ? Math.min(1, Math.max(0, (score - low) / (high - low))) : 0;
    return {token, score, alpha};
  });
}

function isTokenSource(c: InputComponent | undefined): c is InputComponent & TokenSource {
  return typeof (c as Partial<TokenSource> | undefined)?.tokens === 'function';
}

/** The tokens of a Text input, each with a background as strong as the model's score for it. */
export class Highlight implements OutputComponent {
  readonly element: HTMLElement;
  private readonly row: HTMLElement;
  private readonly note: HTMLElement;
  private source: TokenSource | null = null;
  private index = -1;  // of its Text input among the page's inputs

  constructor(private readonly spec: HighlightSpec) {
    this.element = document.createElement('div');
    this.element.className = 'app-highlight';
    this.element.dataset.testid = 'output';
    this.element.dataset.type = 'highlight';
    const heading = document.createElement('h3');
    heading.textContent = spec.label;
    this.row = document.createElement('p');
    this.row.className = 'app-highlight-tokens';
    this.row.dataset.testid = 'highlight-tokens';
    this.note = document.createElement('p');
    this.note.className = 'meta app-warning';
    this.note.dataset.testid = 'highlight-note';
    this.note.hidden = true;
    this.element.append(heading, this.row, this.note);
  }

  /** Find the Text input it names (the build checked there is exactly one). */
  connect(inputs: readonly InputComponent[], specs: readonly InputSpec[]): void {
    this.index = specs.findIndex((s) => s.type === 'text' && s.label === this.spec.input);
    const input = inputs[this.index];
    this.source = isTokenSource(input) ? input : null;
  }

  show(values: ArrayLike<number>, _shape: readonly number[], fed?: readonly InputValue[]): void {
    if (!this.source) {
      this.note.textContent = `The page has no Text input "${this.spec.input}" to show the scores on.`;
      this.note.hidden = false;
      return;
    }
    // the ids of this run (the text may have changed while the model ran), else the current ones
    const ids = fed?.[this.index];
    const shaded = shade(this.source.tokens(ids instanceof Int32Array ? ids : undefined), values, this.spec.valueRange);
    this.row.replaceChildren(...shaded.map((s) => {
      const span = document.createElement('span');
      span.className = 'app-token';
      span.textContent = s.token;
      span.title = `${s.token}: ${formatNumber(s.score)}`;
      span.dataset.score = String(s.score);
      span.style.backgroundColor = `rgba(255, 140, 0, ${s.alpha.toFixed(3)})`;
      return span;
    }));
    const bad = shaded.filter((s) => !Number.isFinite(s.score)).length;
    this.note.textContent = bad ? `${bad} score${bad > 1 ? 's are' : ' is'} NaN or infinite (shown unshaded).` : '';
    this.note.hidden = !bad;
  }

  clear(): void {
    this.row.replaceChildren();
    this.note.textContent = '';
    this.note.hidden = true;
  }
}
