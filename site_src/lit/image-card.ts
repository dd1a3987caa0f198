import {css, html, LitElement} from 'lit';

import type {ImageInfo} from './formats';
import {getImageUrl} from './model';

/**
 * `<image-card>`: one image with editable prompts, a probability bar behind each prompt, and
 * Compute (or Enter). Fires `compute`, `duplicate`, `remove` and `prompts-change`.
 */
export class ImageCard extends LitElement {
  static properties = {
    info: {attribute: false}, prompts: {attribute: false}, probabilities: {attribute: false},
    busy: {type: Boolean},
  };
  declare info: ImageInfo | null;
  declare prompts: string[];
  declare probabilities: number[] | null;
  declare busy: boolean;

  static styles = css`
    :host { display: block; background: var(--card, #f1f3f4); border-radius: 10px; padding: .75rem; }
    .layout { display: flex; flex-wrap: wrap; gap: .75rem; }
    .figure { flex: 0 1 224px; min-width: 0; }
    img { width: 224px; max-width: 100%; height: auto; border-radius: 8px; display: block; }
    .prompts { flex: 1 1 16rem; min-width: 0; display: flex; flex-direction: column; gap: .35rem; }
    .row { position: relative; display: flex; align-items: center; gap: .4rem; }
    .bar { position: absolute; inset: 0 auto 0 0; background: var(--accent, #1a73e8); opacity: .25;
      border-radius: 6px; pointer-events: none; transition: width .3s; }
    input { flex: 1; min-width: 0; font: inherit; padding: .35rem .5rem; border-radius: 6px;
      border: 1px solid var(--muted, #999); background: transparent; color: inherit; position: relative; }
    .pct { width: 4rem; text-align: right; font-variant-numeric: tabular-nums; }
    .actions { display: flex; flex-wrap: wrap; gap: .4rem; margin-top: .4rem; }
    button { font: inherit; padding: .35rem .7rem; border-radius: 6px; border: 1px solid var(--muted, #999);
      background: transparent; color: inherit; cursor: pointer; min-height: 2.2rem; }
    button.primary { background: var(--accent, #1a73e8); color: var(--bg, #fff); border-color: transparent; }
    .desc { color: var(--muted, #666); font-size: .9rem; margin: .25rem 0 0; }
  `;

  constructor() {
    super();
    this.info = null;
    this.prompts = [];
    this.probabilities = null;
    this.busy = false;
  }

  render() {
    if (!this.info) return html``;
    const probs = this.probabilities;
    return html`<div class="layout">
      <div class="figure"><img src=${getImageUrl(this.info.id)} alt=${this.info.description} width="224" height="224">
        <p class="desc">${this.info.description}</p></div>
      <div class="prompts">
        ${this.prompts.map((prompt, i) => html`<div class="row">
          <div class="bar" style="width: ${probs ? (100 * probs[i]).toFixed(1) : 0}%"></div>
          <input data-testid="prompt-input" aria-label=${`prompt ${i + 1}`} .value=${prompt}
            @input=${(e: Event) => this.edit(i, (e.target as HTMLInputElement).value)}
            @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.fire('compute')}>
          <span class="pct" data-testid="probability" data-value=${probs ? String(probs[i]) : ''}>${probs ? `${(100 * probs[i]).toFixed(1)}%` : ''}</span>
          <button aria-label=${`remove prompt ${i + 1}`} @click=${() => this.removePrompt(i)}>−</button>
        </div>`)}
        <div class="actions">
          <button class="primary" data-testid="compute" ?disabled=${this.busy}
            @click=${() => this.fire('compute')}>Compute</button>
          <button data-testid="add-prompt" @click=${this.addPrompt}>Add prompt</button>
          <button data-testid="clear" @click=${this.clear}>Clear</button>
          <button data-testid="duplicate" @click=${() => this.fire('duplicate')}>Duplicate</button>
          <button data-testid="remove-card" @click=${() => this.fire('remove')}>Remove</button>
        </div>
      </div></div>`;
  }

  private fire(name: string): void {
    this.dispatchEvent(new CustomEvent(name, {bubbles: true, composed: true}));
  }

  private setPrompts(prompts: string[]): void {
    this.prompts = prompts;
    this.probabilities = null;
    this.fire('prompts-change');
  }

  private edit(index: number, value: string): void {
    this.setPrompts(this.prompts.map((p, i) => (i === index ? value : p)));
  }

  private removePrompt(index: number): void {
    this.setPrompts(this.prompts.filter((_, i) => i !== index));
  }

  private addPrompt(): void {
    this.setPrompts([...this.prompts, '']);
  }

  private clear(): void {
    this.setPrompts(['']);
  }
}
customElements.define('image-card', ImageCard);
