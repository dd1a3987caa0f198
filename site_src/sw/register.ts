import {readPageConfig} from '../common/config';

/** What the service worker answers after caching a page's files. */
export interface CacheReply { type: 'cached' | 'cache-failed'; page: string; files?: number; reason?: string }

/**
 * Register `<root>sw.js` and ask it to cache this page's files for offline use. The outcome is
 * written to `<html data-offline="ready|failed|unsupported">` (the tests and stylesheet read it).
 * Service workers need a secure context (HTTPS or localhost): elsewhere this does nothing.
 */
export async function registerServiceWorker(doc: Document = document): Promise<void> {
  const html = doc.documentElement;
  // Whether this page may run threaded WASM (the service worker's headers, from its second load on).
  html.dataset.isolated = String(Boolean(globalThis.crossOriginIsolated));
  if (!('serviceWorker' in navigator) || !window.isSecureContext) {
    html.dataset.offline = 'unsupported';
    return;
  }
  const config = readPageConfig(doc);
  const root = new URL(config.root, doc.baseURI);
  await navigator.serviceWorker.register(new URL('sw.js', root), {scope: root.pathname});
  const registration = await navigator.serviceWorker.ready;
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent<CacheReply>) => {
    if (event.data?.type === 'cached') html.dataset.offline = 'ready';
    else if (event.data?.type === 'cache-failed') html.dataset.offline = 'failed';
  });
  const askToCache = (worker: ServiceWorker | null | undefined) => worker?.postMessage({type: 'cache-page', page: location.href});
  askToCache(registration.active);
  // A new build's worker took over (it claims the pages it finds when it activates): ask it, since
  // the old one leaves the caching of a new build's files to its successor (site_src/sw/sw.js).
  navigator.serviceWorker.addEventListener('controllerchange', () => askToCache(navigator.serviceWorker.controller));
}

registerServiceWorker().catch(() => {
  // Offline support is an extra: the page works without it.
  document.documentElement.dataset.offline = 'failed';
});
