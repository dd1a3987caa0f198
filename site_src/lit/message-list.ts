import {css, html, LitElement} from 'lit';

/** A warning or error shown to the user. */
export interface Message {
  level: 'info' | 'warning' | 'error';
  text: string;
}

/** `<message-list>`: warnings and errors (no WebGL, model not ready, ...), dismissable. */
export class MessageList extends LitElement {
  static properties = {messages: {attribute: false}};
  declare messages: Message[];

  static styles = css`
    ul { list-style: none; margin: 0; padding: 0; }
    li { display: flex; gap: .5rem; align-items: baseline; padding: .4rem .6rem; margin: .25rem 0;
      border-radius: 6px; background: var(--card, #f1f3f4); border-left: 4px solid var(--muted, #888); }
    li.warning { border-left-color: #f9ab00; }
    li.error { border-left-color: #d93025; }
    span { flex: 1; }
    button { background: none; border: none; color: inherit; cursor: pointer; font-size: 1.1rem; }
  `;

  constructor() {
    super();
    this.messages = [];
  }

  render() {
    return html`<ul role="status" aria-live="polite">${this.messages.map((m, i) => html`
      <li class=${m.level} data-testid="message"><span>${m.text}</span>
        <button aria-label="dismiss" @click=${() => this.dismiss(i)}>×</button></li>`)}</ul>`;
  }

  private dismiss(index: number): void {
    this.messages = this.messages.filter((_, i) => i !== index);
  }
}
customElements.define('message-list', MessageList);
