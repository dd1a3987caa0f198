import {formatBytes, LoadProgress} from './model';

/**
 * Drive a `<progress>` element and its text label: "3.1 of 9.8 MB" when the bytes are known
 * (with "from the offline cache" when every shard came from the service worker's cache), else a percentage.
 */
export function showProgress(bar: HTMLProgressElement, label: HTMLElement | null, fraction: number,
    detail?: LoadProgress): void {
  const percent = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  bar.value = percent;
  bar.max = 100;
  bar.setAttribute('aria-valuenow', String(percent));
  const text = progressText(fraction, detail);
  bar.setAttribute('aria-valuetext', text);
  if (label) label.textContent = text;
}

/** The label `showProgress` writes. */
export function progressText(fraction: number, detail?: LoadProgress): string {
  if (!detail || detail.total <= 0) return `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
  const bytes = formatBytes(detail.loaded, detail.total);
  return detail.fromCache ? `${bytes}, from the offline cache` : bytes;
}

/** Show an error message on the page (as text, never HTML). */
export function showError(container: HTMLElement, message: string): void {
  const item = document.createElement('p');
  item.className = 'error';
  item.setAttribute('role', 'alert');
  item.dataset.testid = 'error';
  item.textContent = message;
  container.append(item);
}

/** A line in the messages area that informs without alarming (e.g. a backend skipped for a reason). */
export function showNote(container: HTMLElement, message: string): void {
  const item = document.createElement('p');
  item.className = 'note';
  item.dataset.testid = 'note';
  item.textContent = message;
  container.append(item);
}
