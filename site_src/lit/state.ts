/**
 * The app state kept in the URL hash, so a link reproduces the cards:
 * `#v1&m=<model>&c=<image id>|<prompt>|<prompt>&c=...` (URLSearchParams encoding; `|` joins
 * the prompts after each is percent-encoded). The leading version tag lets future formats
 * change without misreading old links.
 */

export const STATE_VERSION = 'v1';

export interface CardState {
  imageId: string;
  prompts: string[];
}

export interface AppState {
  model: string;
  cards: CardState[];
}

const SEP = '|';

/** Encode the state as a URL hash (with the leading '#'). */
export function encodeState(state: AppState): string {
  const params = new URLSearchParams();
  params.set('m', state.model);
  for (const card of state.cards) {
    params.append('c', [card.imageId, ...card.prompts].map(encodeURIComponent).join(SEP));
  }
  return `#${STATE_VERSION}&${params.toString()}`;
}

/** Parse a URL hash; null when empty, an Error (with a reason) when it is not ours. */
export function decodeState(hash: string): AppState | null | Error {
  const body = hash.replace(/^#/, '');
  if (body === '') return null;
  const [version, ...rest] = body.split('&');
  if (version !== STATE_VERSION) {
    return new Error(`the link's state has version '${version}', this page reads '${STATE_VERSION}'`);
  }
  const params = new URLSearchParams(rest.join('&'));
  const cards: CardState[] = [];
  for (const value of params.getAll('c')) {
    try {
      const [imageId, ...prompts] = value.split(SEP).map(decodeURIComponent);
      if (imageId) cards.push({imageId, prompts});
    } catch {
      return new Error('the link has a malformed card');
    }
  }
  return {model: params.get('m') ?? '', cards};
}
