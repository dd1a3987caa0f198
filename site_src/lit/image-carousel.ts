import {css, html, LitElement} from 'lit';

import type {ImageInfo} from './formats';
import {getImageUrl} from './model';

/** `<image-carousel>`: scrollable thumbnails; clicking one fires `add-card` with its index. */
export class ImageCarousel extends LitElement {
  static properties = {images: {attribute: false}};
  declare images: ImageInfo[];

  static styles = css`
    .strip { display: flex; gap: .5rem; overflow-x: auto; scroll-snap-type: x mandatory; padding-bottom: .5rem; }
    button { flex: 0 0 auto; padding: 0; border: 2px solid transparent; border-radius: 8px; cursor: pointer;
      background: none; scroll-snap-align: start; }
    button:hover, button:focus-visible { border-color: var(--accent, #1a73e8); }
    img { display: block; width: 96px; height: 96px; border-radius: 6px; }
  `;

  constructor() {
    super();
    this.images = [];
  }

  render() {
    return html`<div class="strip" role="list">${this.images.map((info, i) => html`
      <button role="listitem" data-testid="carousel-image" title=${`Add a card: ${info.description}`}
        @click=${() => this.add(i)}><img src=${getImageUrl(info.id)} alt=${info.description}
        loading="lazy"></button>`)}</div>`;
  }

  private add(index: number): void {
    this.dispatchEvent(new CustomEvent('add-card', {detail: index, bubbles: true, composed: true}));
  }
}
customElements.define('image-carousel', ImageCarousel);
