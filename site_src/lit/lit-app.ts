import {css, html, LitElement} from 'lit';

import {BACKEND_LABELS, describeFailure, recordWasmThreads, startBackend} from '../common/backend';
import {readPageConfig} from '../common/config';
import './image-card';
import './image-carousel';
import type {Message} from './message-list';
import './message-list';
import {ImageData, Model, setDataRoot} from './model';
import './model-selector';
import {decodeState, encodeState} from './state';

interface Card {
  key: number;
  imgIdx: number;
  prompts: string[];
  probabilities: number[] | null;
}

/** `<lit-app>`: the LiT page — model selector, carousel, cards, messages, URL state. */
export class LitApp extends LitElement {
  static properties = {
    cards: {state: true}, messages: {state: true}, progress: {state: true}, status: {state: true},
    modelName: {state: true}, images: {state: true}, runsOn: {state: true},
  };
  declare cards: Card[];
  declare messages: Message[];
  declare progress: number;
  declare status: string;
  declare modelName: string;
  declare images: ImageData;
  /** Which backend runs the text encoder, as a fact ('Runs on WASM (4 threads).'), not a warning. */
  declare runsOn: string;

  private modelNames: string[] = [];
  private models = new Map<string, Model>();
  private nextKey = 0;
  private backend = '';

  static styles = css`
    :host { display: block; }
    section { margin: 1rem 0; }
    .runs-on { margin: .5rem 0; color: var(--muted, inherit); font-size: .9rem; }
    .cards { display: flex; flex-direction: column; gap: 1rem; }
    .toolbar { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; justify-content: space-between; }
  `;

  constructor() {
    super();
    this.cards = [];
    this.messages = [];
    this.progress = 0;
    this.status = 'starting…';
    this.modelName = '';
    this.images = new ImageData();
    this.runsOn = '';
  }

  connectedCallback(): void {
    super.connectedCallback();
    this.start().catch((err) => this.message('error', err instanceof Error ? err.message : String(err)));
    window.addEventListener('hashchange', () => this.applyHash());
  }

  private message(level: Message['level'], text: string): void {
    if (this.messages.some((m) => m.text === text)) return;
    this.messages = [...this.messages, {level, text}];
  }

  private async start(): Promise<void> {
    const config = readPageConfig();
    setDataRoot(config.dataBaseUrl);
    this.modelNames = (config.models as string[]) ?? [];
    this.modelName = (config.defaultModel as string) ?? this.modelNames[0];
    const {backend, failures} = await startBackend(config.root);
    this.backend = BACKEND_LABELS[backend] ?? backend;
    for (const failure of failures) this.message('warning', describeFailure(failure, backend));
    // Choosing WASM (no GPU, or WebGL only software-rendered) is the backend order working, not a fault:
    // say which backend runs; failures to start one are reported above as warnings.
    const threads = recordWasmThreads(backend);
    this.runsOn = `Runs on ${this.backend}` +
      (threads === null ? '' : ` (${threads} thread${threads === 1 ? '' : 's'})`) + '.';
    await this.images.load();
    this.requestUpdate();
    this.applyHash();
    if (this.cards.length === 0) {
      this.cards = [0, 1].filter((i) => i < this.images.length).map((i) => this.newCard(i, this.images.prompts(i)));
    }
    this.saveHash();
    await this.selectModel(this.modelName);
  }

  private newCard(imgIdx: number, prompts: string[]): Card {
    return {key: this.nextKey++, imgIdx, prompts, probabilities: null};
  }

  private applyHash(): void {
    const state = decodeState(location.hash);
    if (state === null || this.images.length === 0) return;
    if (state instanceof Error) {
      this.message('warning', `Ignoring the link's saved cards: ${state.message}.`);
      return;
    }
    if (state.model && this.modelNames.includes(state.model) && state.model !== this.modelName) {
      this.selectModel(state.model);
    }
    const cards: Card[] = [];
    for (const c of state.cards) {
      const idx = this.images.indexOf(c.imageId);
      if (idx < 0) this.message('warning', `The link names an unknown image '${c.imageId}'.`);
      else cards.push(this.newCard(idx, c.prompts));
    }
    if (cards.length > 0) this.cards = cards;
  }

  private saveHash(): void {
    const hash = encodeState({model: this.modelName, cards: this.cards.map((c) => ({
      imageId: this.images.infos[c.imgIdx].id, prompts: c.prompts}))});
    if (hash !== location.hash) history.replaceState(null, '', hash);
  }

  private model(): Model {
    let model = this.models.get(this.modelName);
    if (!model) {
      model = new Model(this.modelName);
      this.models.set(this.modelName, model);
    }
    return model;
  }

  private async selectModel(name: string): Promise<void> {
    this.modelName = name;
    this.saveHash();
    const model = this.model();
    this.cards = this.cards.map((c) => ({...c, probabilities: null}));
    if (model.ready) {
      this.progress = 1;
      this.status = `${name}: ready (${this.backend})`;
      return;
    }
    try {
      await model.load((fraction, what) => {
        if (this.modelName !== name) return;
        this.progress = fraction;
        this.status = `${name}: loading ${what}…`;
      });
      if (this.modelName === name) this.status = `${name}: ready (${this.backend})`;
      for (const warning of model.warnings) this.message('warning', `The '${name}' model: ${warning}.`);
    } catch (err) {
      this.status = `${name}: failed`;
      const text = `Could not load the '${name}' model: ${err instanceof Error ? err.message : err}`;
      console.error(text);
      this.message('error', text);
    }
  }

  private async compute(card: Card): Promise<void> {
    const model = this.model();
    const prompts = card.prompts.map((p) => p.trim());
    const used = prompts.map((p, i) => [p, i] as const).filter(([p]) => p.length > 0);
    if (used.length === 0) {
      this.message('warning', 'Type at least one prompt first.');
      return;
    }
    const texts = used.map(([p]) => p);
    if (!model.ready && !(model.ztxts && model.allPrecomputed(texts))) {
      this.message('warning', `The '${model.name}' text encoder is not ready yet (${this.status}); ` +
        'example prompts work as soon as the embeddings are loaded, new ones need the encoder.');
      return;
    }
    if (model.tokenizer && !model.allPrecomputed(texts)) {
      // Never cut silently: the encoder sees only the first max_len tokens of a long prompt.
      for (const cut of model.truncatedTexts(texts)) {
        this.message('warning', `"${cut.length > 60 ? cut.slice(0, 57) + '...' : cut}" is longer than the ` +
          `'${model.name}' text encoder's ${model.tokenizer.maxLen} tokens: only its beginning is scored.`);
      }
    }
    try {
      const probs = await model.computeProbabilities(texts, card.imgIdx);
      const full = prompts.map(() => 0);
      used.forEach(([, i], k) => (full[i] = probs[k]));
      this.update_(card.key, {probabilities: full});
    } catch (err) {
      this.message('error', err instanceof Error ? err.message : String(err));
    }
  }

  private update_(key: number, change: Partial<Card>): void {
    this.cards = this.cards.map((c) => (c.key === key ? {...c, ...change} : c));
  }

  private addCard(imgIdx: number): void {
    this.cards = [this.newCard(imgIdx, this.images.prompts(imgIdx)), ...this.cards];
    this.saveHash();
  }

  render() {
    return html`
      <message-list .messages=${this.messages}></message-list>
      ${this.runsOn ? html`<p class="runs-on" data-testid="runs-on">${this.runsOn}</p>` : ''}
      <section class="toolbar">
        <model-selector .models=${this.modelNames} selected=${this.modelName} .progress=${this.progress}
          status=${this.status} @model-change=${(e: CustomEvent) => this.selectModel(e.detail)}></model-selector>
      </section>
      <section>
        <h2>Pick an image</h2>
        <image-carousel .images=${this.images.infos} @add-card=${(e: CustomEvent) => this.addCard(e.detail)}>
        </image-carousel>
      </section>
      <section class="cards">
        ${this.cards.map((card) => html`<image-card data-testid="card" .info=${this.images.infos[card.imgIdx]}
          .prompts=${card.prompts} .probabilities=${card.probabilities}
          @compute=${() => this.compute(card)}
          @prompts-change=${(e: Event) => {
            this.update_(card.key, {prompts: (e.target as HTMLElement & {prompts: string[]}).prompts,
              probabilities: null});
            this.saveHash();
          }}
          @duplicate=${() => {
            const i = this.cards.indexOf(card);
            this.cards = [...this.cards.slice(0, i + 1), this.newCard(card.imgIdx, [...card.prompts]),
              ...this.cards.slice(i + 1)];
            this.saveHash();
          }}
          @remove=${() => {
            this.cards = this.cards.filter((c) => c.key !== card.key);
            this.saveHash();
          }}></image-card>`)}
      </section>`;
  }
}
customElements.define('lit-app', LitApp);
