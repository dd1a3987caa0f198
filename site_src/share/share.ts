/**
 * The Share control of every demo page: the page's own address (`location.href`, so it works on
 * localhost, a LAN address from `serve --lan` and GitHub Pages alike, with no `site_url`), a
 * Copy link button and a QR code drawn here, in the browser. The system share sheet is offered
 * too where the browser has one (phones).
 */
import {renderSVG} from 'uqr';

/** The panel's content for `url`: the QR code as SVG markup (uqr writes only rects and paths). */
export function qrSvg(url: string): string {
  return renderSVG(url, {border: 2, ecc: 'M', pixelSize: 4});
}

function setUp(button: HTMLButtonElement): void {
  const panel = document.getElementById(button.getAttribute('aria-controls') ?? '') as HTMLElement | null;
  if (!panel) return;
  const link = panel.querySelector<HTMLInputElement>('[data-testid="share-link"]')!;
  const copy = panel.querySelector<HTMLButtonElement>('[data-testid="share-copy"]')!;
  const qr = panel.querySelector<HTMLElement>('[data-testid="share-qr"]')!;
  const native = panel.querySelector<HTMLButtonElement>('[data-testid="share-native"]')!;
  const note = panel.querySelector<HTMLElement>('[data-testid="share-note"]')!;
  button.hidden = false;
  native.hidden = typeof navigator.share !== 'function';
  button.addEventListener('click', () => {
    const open = panel.hidden;
    panel.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (!open) return;
    link.value = location.href;  // read now: the page may have put its input in the address
    qr.innerHTML = qrSvg(location.href);
    qr.querySelector('svg')?.setAttribute('role', 'img');
    qr.querySelector('svg')?.setAttribute('aria-label', 'QR code of this page\'s address');
    note.textContent = '';
  });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(link.value);
      note.textContent = 'Link copied.';
    } catch {
      link.select();  // no clipboard permission (e.g. plain http on a LAN): let the visitor copy it
      note.textContent = 'Press Ctrl+C (or long-press) to copy the selected link.';
    }
  });
  native.addEventListener('click', () => {
    navigator.share({title: document.title, url: link.value}).catch(() => undefined);
  });
}

for (const button of document.querySelectorAll<HTMLButtonElement>('[data-testid="share"]')) setUp(button);
