import {Encoding, WordPiece, readVocab} from '../common/wordpiece';
import {ChangeListener, InputComponent, InputSpec, SpecValue, field, uniqueId} from './types';

export interface TextSpec extends InputSpec {
  tokenizer: 'wordpiece' | 'words';
  maxLength: number;
  lowercase: boolean;
  value: string;
  lines: number;
  /** `vocab.txt` -> its URL (main.ts resolves it). */
  files?: Record<string, string>;
}

/** The ids for `text` as builders/app/inputs.py's `Text.encode` gives them. */
export function encodeText(tokenizer: WordPiece, spec: Pick<TextSpec, 'tokenizer' | 'maxLength'>, text: string): Encoding {
  return spec.tokenizer === 'wordpiece' ? tokenizer.encode(text, spec.maxLength)
    : tokenizer.encodeWords(text, spec.maxLength);
}

/** What the line under the box says: the token count, or that the end is cut off. */
export function lengthNote(encoding: Encoding, unit: string): string {
  if (encoding.truncated) {
    return `Too long: the model reads the first ${encoding.kept} of ${encoding.count} ${unit}; the rest is left out.`;
  }
  return `${encoding.count} ${encoding.count === 1 ? unit.slice(0, -1) : unit}.`;
}

/** A text box whose text is tokenised in the page with the vocabulary exported from Python. */
export class Text implements InputComponent {
  readonly element: HTMLElement;
  private readonly box: HTMLTextAreaElement;
  private readonly note: HTMLElement;
  private tokenizer: WordPiece | null = null;
  private ids = new Int32Array(0);
  private names: string[] = [];  // the vocabulary in id order, to name the tokens (a Highlight output)

  constructor(private readonly spec: TextSpec, onChange: ChangeListener) {
    this.box = document.createElement('textarea');
    this.box.id = uniqueId('text');
    this.box.rows = spec.lines;
    this.box.value = spec.value;
    this.box.className = 'app-text';
    this.box.disabled = true;  // until the vocabulary is in
    this.note = document.createElement('p');
    this.note.className = 'meta app-text-note';
    this.note.dataset.testid = 'text-note';
    this.note.textContent = 'Loading the vocabulary…';
    const wrap = document.createElement('div');
    wrap.append(this.box, this.note);
    this.element = field(spec.label, wrap, this.box.id);
    this.element.dataset.type = 'text';
    this.box.addEventListener('input', () => {
      this.update();
      onChange();
    });
    void this.loadVocab().then(() => onChange());
  }

  private async loadVocab(): Promise<void> {
    const url = this.spec.files?.['vocab.txt'];
    try {
      if (!url) throw new Error('the page has no vocabulary');
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url}: ${response.status}`);
      this.names = readVocab(await response.text());
      this.tokenizer = new WordPiece(this.names, {lowercase: this.spec.lowercase});
      this.box.disabled = false;
      this.update();
    } catch (err) {
      this.note.textContent = `The vocabulary could not be loaded (${(err as Error).message}).`;
      this.element.dataset.state = 'error';
    }
  }

  private update(): void {
    if (!this.tokenizer) return;
    const encoding = encodeText(this.tokenizer, this.spec, this.box.value);
    this.ids = Int32Array.from(encoding.ids);
    this.note.textContent = lengthNote(encoding, this.spec.tokenizer === 'wordpiece' ? 'tokens' : 'words');
    this.note.dataset.truncated = String(encoding.truncated);
    this.note.classList.toggle('app-warning', encoding.truncated);
    this.element.dataset.state = 'ready';
  }

  read(): Int32Array {
    return this.ids;
  }

  /**
   * The token at each position of `ids` (what `read` gave the model), the padding at the end left out
   * (`[CLS]` and `[SEP]` kept): a Highlight output shows them with the scores of that run.
   */
  tokens(ids: Int32Array = this.ids): string[] {
    const pad = this.tokenizer?.vocab.get('[PAD]') ?? 0;  // what encode() and encodeWords() pad with
    let used = ids.length;
    while (used > 0 && ids[used - 1] === pad) used -= 1;
    return Array.from(ids.subarray(0, used), (id) => this.names[id] ?? `#${id}`);
  }

  empty(): boolean {
    return this.tokenizer === null;
  }

  matches(value: SpecValue): boolean {
    return this.box.value === value;
  }

  write(value: SpecValue): void {
    this.box.value = String(value);
    this.update();
  }
}
