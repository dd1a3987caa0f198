/**
 * The contract between the generic page (site_src/app/main.ts) and the components: one module per
 * component type, named after it, each with its pure logic exported for the `*_test.ts` beside it.
 * The specs are written by the Python components (builders/app/inputs.py, outputs.py: `spec()`).
 */

/**
 * An example or starting value as the page spec holds it: a number, a boolean, a flat image, or a
 * string (a text, or the name of an example's picture in the input's `files`).
 */
export type SpecValue = number | boolean | number[] | string;

/** What an input feeds the model for one example: a number (scalars) or a flat array (images, token ids). */
export type InputValue = number | Float32Array | Int32Array;

export interface InputSpec {
  type: string;
  label: string;
  [option: string]: unknown;
}

export interface OutputSpec {
  type: string;
  label: string;
  [option: string]: unknown;
}

export interface InputComponent {
  /** The component's element, ready to be put in the page. */
  readonly element: HTMLElement;
  /** The value for the model now, per example (no batch axis). */
  read(): InputValue;
  /**
   * Show a value written in the spec (an example's), without telling the page it changed; a picture
   * to fetch and decode makes it a promise, which the page awaits before it runs the model.
   */
  write(value: SpecValue): void | Promise<void>;
  /** Whether the input shows exactly this example value (when comparing what `read` gives cannot tell). */
  matches?(value: SpecValue): boolean;
  /** True when there is nothing to run the model on yet (a pad with nothing drawn): outputs stay empty. */
  empty?(): boolean;
}

export interface OutputComponent {
  readonly element: HTMLElement;
  /**
   * Show one example's output: `values` row-major with `shape` (no batch axis); `inputs` are what the
   * inputs fed the model for it (a Highlight shows the tokens of that run).
   */
  show(values: ArrayLike<number>, shape: readonly number[], inputs?: readonly InputValue[]): void;
  /** Forget the last output. */
  clear(): void;
  /** Given the page's inputs once mounted, for an output that shows one of them (Highlight). */
  connect?(inputs: readonly InputComponent[], specs: readonly InputSpec[]): void;
}

/** Called by an input when the user changed it. */
export type ChangeListener = () => void;

/**
 * A labelled block, `<div class="app-field"><label for=…>…</label>…</div>`; `forId` is the id of
 * the form control the label names (it may sit inside `control`).
 */
export function field(label: string, control: HTMLElement, forId: string): HTMLDivElement {
  const wrap = document.createElement('div');
  wrap.className = 'app-field';
  wrap.dataset.testid = 'input';
  const caption = document.createElement('label');
  caption.textContent = label;
  caption.htmlFor = forId;
  wrap.append(caption, control);
  return wrap;
}

let nextId = 0;

/** A unique element id (labels point at their control with it). */
export function uniqueId(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}
