/** Drive a `<progress>` element and its text label. */
export function showProgress(bar: HTMLProgressElement, label: HTMLElement | null, fraction: number): void {
  const percent = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  bar.value = percent;
  bar.max = 100;
  bar.setAttribute('aria-valuenow', String(percent));
  if (label) label.textContent = `${percent}%`;
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
