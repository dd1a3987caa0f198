import {css, html, LitElement} from 'lit';

/** `<model-selector>`: pick a text tower; shows load progress and status. Fires `model-change`. */
export class ModelSelector extends LitElement {
  static properties = {
    models: {attribute: false}, selected: {type: String}, progress: {type: Number}, status: {type: String},
  };
  declare models: string[];
  declare selected: string;
  declare progress: number;
  declare status: string;

  static styles = css`
    :host { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }
    select { font: inherit; padding: .3rem; background: var(--card, #fff); color: inherit; border-radius: 6px; }
    progress { width: 10rem; max-width: 40vw; }
    .status { color: var(--muted, #666); }
  `;

  constructor() {
    super();
    this.models = [];
    this.selected = '';
    this.progress = 0;
    this.status = '';
  }

  render() {
    return html`
      <label>Text encoder
        <select data-testid="model-select" @change=${this.onChange}>
          ${this.models.map((m) => html`<option value=${m} ?selected=${m === this.selected}>${m}</option>`)}
        </select></label>
      <progress data-testid="model-progress" max="100" .value=${Math.round(this.progress * 100)}></progress>
      <span class="status" data-testid="model-status" role="status">${this.status}</span>`;
  }

  private onChange(event: Event): void {
    const value = (event.target as HTMLSelectElement).value;
    this.dispatchEvent(new CustomEvent('model-change', {detail: value, bubbles: true, composed: true}));
  }
}
customElements.define('model-selector', ModelSelector);
