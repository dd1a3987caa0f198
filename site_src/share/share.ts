/**
 * The Share control of every demo page: the page's own address (`location.href`, so it works on
 * localhost, a LAN address from `serve --lan` and GitHub Pages alike, with no `site_url`), a
 * Copy link button and a QR code drawn here, in the browser. The system share sheet is offered
 * too where the browser has one (phones).
 */
import {encode} from 'uqr';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * The QR code of `url` as an SVG element built node by node (no markup parsing: the address is
 * the visitor's to craft), or null when it holds more than a QR code can (about 2.9 KB).
 */
export function qrElement(url: string, doc: Document = document): SVGSVGElement | null {
  let modules: boolean[][];
  try {
    modules = encode(url, {border: 2, ecc: 'M'}).data;
  } catch {
    return null;
  }
  const size = modules.length;
  const svg = doc.createElementNS(SVG, 'svg') as SVGSVGElement;
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'QR code of this page\'s address');
  const background = doc.createElementNS(SVG, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#fff');
  const dark = doc.createElementNS(SVG, 'path');
  const d: string[] = [];
  modules.forEach((row, y) => row.forEach((on, x) => { if (on) d.push(`M${x},${y}h1v1h-1z`); }));
  dark.setAttribute('d', d.join(''));
  dark.setAttribute('fill', '#000');
  svg.append(background, dark);
  return svg;
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
    const code = qrElement(location.href);
    qr.replaceChildren(...(code ? [code] : []));
    note.textContent = code ? '' : 'This address is too long for a QR code: copy the link instead.';
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
