/** The guestbook page: every message is classified on the device before it is posted. */
import {BACKEND_LABELS, DEFAULT_BACKENDS} from '../common/backend';
import {describeSkip, loadOnChecked, PROBED_BACKENDS} from '../common/checked_backend';
import {readPageConfig} from '../common/config';
import {showError, showProgress} from '../common/progress';
import {isFlagged, LabelPrediction} from './classify';
import {
  addEntry, clearEntries, Entry, isGuestbookKey, loadEntries, makeEntry, migrateLegacy, removeEntry, StorageFullError,
} from './guestbook';
import {load, pageOptions, ToxicityClassifier, ToxicityPageConfig} from './toxicity';

const SNACKBAR_MS = 6000;

declare global {
  interface Window {
    /** The article's API, for the browser console, benchmarks and tests: `await toxicity.load(0.9, [])`. */
    toxicity?: {load: typeof load; pageOptions: typeof pageOptions};
  }
}
window.toxicity = {load, pageOptions};

function byTestId<T extends HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element ${id}`);
  return el;
}

function renderEntries(list: HTMLElement, entries: Entry[], scores: Map<string, string>,
  onDelete: (id: string) => void): void {
  // Newest first; user text only ever goes through textContent.
  list.replaceChildren(...[...entries].reverse().map((entry) => {
    const item = document.createElement('li');
    item.dataset.testid = 'message';
    const author = document.createElement('span');
    author.className = 'author';
    author.textContent = entry.name;
    const time = document.createElement('time');
    time.className = 'meta';
    time.dateTime = entry.time;
    time.textContent = new Date(entry.time).toLocaleString();
    const text = document.createElement('div');
    text.className = 'text';
    text.dataset.testid = 'message-text';
    text.textContent = entry.message;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'delete';
    remove.dataset.testid = 'delete';
    remove.textContent = 'Delete';
    remove.addEventListener('click', () => onDelete(entry.id));
    item.append(author, time, remove, text);
    const score = scores.get(entry.id);
    if (score) {
      const meta = document.createElement('div');
      meta.className = 'scores meta';
      meta.textContent = score;
      item.append(meta);
    }
    return item;
  }));
}

function describeScores(predictions: LabelPrediction[]): string {
  return predictions.map((p) => `${p.label}: ${p.results[0].probabilities[1].toFixed(3)}`).join(', ');
}

async function main(): Promise<void> {
  const config = readPageConfig() as ToxicityPageConfig;
  const form = byTestId<HTMLFormElement>('guestbook-form');
  const nameInput = byTestId<HTMLInputElement>('name-input');
  const messageInput = byTestId<HTMLTextAreaElement>('message-input');
  const submit = byTestId<HTMLButtonElement>('submit');
  const status = byTestId('status');
  const bar = byTestId<HTMLProgressElement>('progress');
  const list = byTestId('messages');
  const snackbar = byTestId('snackbar');
  const thresholdInput = byTestId<HTMLInputElement>('threshold');
  const showScores = byTestId<HTMLInputElement>('show-scores');
  const errors = document.getElementById('errors') ?? document.body;

  // Storage is the only source of truth: every change re-reads it, so other tabs' posts show too.
  const scores = new Map<string, string>();
  const refresh = () => renderEntries(list, loadEntries(localStorage), scores, (id) => {
    removeEntry(localStorage, id);
    refresh();
  });
  migrateLegacy(localStorage);
  refresh();
  window.addEventListener('storage', (event) => {
    if (event.storageArea === localStorage && isGuestbookKey(event.key)) refresh();
  });

  let snackbarTimer: number | undefined;
  const showSnackbar = (text: string) => {
    snackbar.textContent = text;
    snackbar.hidden = false;
    window.clearTimeout(snackbarTimer);
    snackbarTimer = window.setTimeout(() => { snackbar.hidden = true; }, SNACKBAR_MS);
  };

  const settings = (model: ToxicityClassifier): ToxicityClassifier => {
    const threshold = Number(thresholdInput.value);
    const labels = [...document.querySelectorAll<HTMLInputElement>('input[name="label"]:checked')].map((c) => c.value);
    // No label selected means nothing to check against: say so instead of posting unchecked.
    if (labels.length === 0) throw new Error('select at least one label to check messages against');
    return model.withSettings(threshold, labels);
  };

  // Submissions made before the model is ready wait for it (the button is disabled too).
  const ready: Promise<ToxicityClassifier> = (async () => {
    // Load with every label; the checkboxes choose which ones a message is checked against. The
    // site's own models carry the build's probe: each backend, WebGPU first, is kept only if it
    // reproduces it. The official model (downloaded, not converted here) has none: no WebGPU for it.
    const {backend, failures, loaded: model} = await loadOnChecked(config.root, () => load(config.threshold, [], {
      ...pageOptions(config), onProgress: (f) => showProgress(bar, null, f),
    }), (classifier) => classifier.graph, config.source === 'official' ? DEFAULT_BACKENDS : PROBED_BACKENDS);
    const notes = failures.map((f) => ` ${describeSkip(f, backend)}`).join('');
    status.textContent = `Model loaded (${model.modelLabels.join(', ')}); running on ${BACKEND_LABELS[backend] ?? backend}.` +
      notes;
    submit.disabled = false;
    submit.textContent = 'Sign the guestbook';
    return model;
  })();
  ready.catch((err: unknown) => {
    status.textContent = 'The model could not be loaded; posting is disabled.';
    showError(errors, err instanceof Error ? err.message : String(err));
  });

  let loaded = false;
  ready.then(() => { loaded = true; }, () => undefined);
  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    const entry = makeEntry(nameInput.value, messageInput.value);
    if (!entry) return;
    busy = true;
    submit.disabled = true;
    try {
      const model = settings(await ready);
      status.textContent = 'Checking your message…';
      const predictions = await model.classify(entry.message);
      if (isFlagged(predictions)) {
        const fired = predictions.filter((p) => p.results[0].match === true);
        const labels = fired.map((p) => p.label);
        showSnackbar(`Please be kind: your message looks like ${labels.join(', ')} and was not posted.`);
        // The text stays in the form, to be edited and posted again; the status says how strongly each label fired.
        const strengths = fired.map((p) => `${p.label} ${p.results[0].probabilities[1].toFixed(2)}`);
        status.textContent = `Message rejected (${strengths.join(', ')}); edit it and try again.`;
        messageInput.focus();
      } else {
        addEntry(localStorage, entry);
        if (showScores.checked) scores.set(entry.id, describeScores(predictions));
        refresh();
        messageInput.value = '';
        status.textContent = 'Message posted.';
      }
    } catch (err) {
      // The message stays in the form, so it can be posted again once space is freed.
      if (err instanceof StorageFullError) status.textContent = err.message;
      else showError(errors, err instanceof Error ? err.message : String(err));
    } finally {
      busy = false;
      submit.disabled = !loaded;
    }
  });

  byTestId('clear').addEventListener('click', () => {
    clearEntries(localStorage);
    refresh();
  });
}

main().catch((err: unknown) => {
  showError(document.querySelector('main') ?? document.body, err instanceof Error ? err.message : String(err));
});
