// The site's one service worker. It does two jobs that usually need two workers:
//
// 1. Cross-origin isolation. Threaded SIMD WASM needs `crossOriginIsolated`, which takes the
//    headers COOP (same-origin) and COEP (require-corp) on the page, and CORP on what it loads.
//    GitHub Pages sends none of them, so this worker adds them to every response of the site
//    (CORP: same-origin on the site's own files). A page is isolated from the first load this
//    worker controls: the second visit, or a reload (the first visit runs single-threaded).
// 2. Offline use. Each demo (page, script bundle, stylesheet, TF.js WASM binaries and model
//    files) is kept in one cache, so a phone that opened it once can reopen it offline.
//
// builders/service_worker.py copies this file to <site>/sw.js and replaces the MANIFEST line with
// the build's file list: {"version": hash of every listed file, "pages": {"jax/index.html": [urls]},
// "hashes": {url: hash of its bytes}} where urls are relative to the site root (or absolute, for
// data on another origin). A cached file carries its hash; a new build (a new sw.js) deletes every
// entry whose hash it no longer lists, so a file is fetched again only when its bytes changed.
'use strict';

const MANIFEST = {version: '', pages: {}}; // replaced at build time
const CACHE = 'jax-on-the-web';
const HASH_HEADER = 'x-jaxweb-hash';
// Set on a response answered from the cache: the page's loader reports "loaded from the offline cache".
const SOURCE_HEADER = 'x-jaxweb-source';
const scope = self.registration.scope;
const origin = new URL(scope).origin;

/** Absolute URL without query or fragment; a folder URL means its index.html. */
function normalize(url) {
  const u = new URL(url, scope);
  u.search = '';
  u.hash = '';
  if (u.pathname.endsWith('/')) u.pathname += 'index.html';
  return u.href;
}

const filesByPage = new Map(Object.entries(MANIFEST.pages).map(([page, urls]) =>
  [normalize(page), urls.map((u) => normalize(u))]));
const hashes = new Map(Object.entries(MANIFEST.hashes || {}).map(([url, hash]) => [normalize(url), hash]));
const known = new Set([...filesByPage.values()].flat());

// Set once a page fetched from the network differs from this worker's manifest: the site was
// rebuilt since this worker was installed, so its hashes cannot tell a current file from an old
// one. It then answers from the network first (the cache only offline) until the new worker,
// which the browser is installing meanwhile, takes over.
let outdated = false;

// Statuses whose responses must not have a body (the Response constructor refuses one).
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * `response` with the isolation headers (and `extra` ones) added. Opaque responses (no-cors
 * requests to other origins) cannot be rewritten and are returned as they are.
 */
function withHeaders(response, sameOrigin, extra = {}) {
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  if (sameOrigin) headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Response(NULL_BODY.has(response.status) ? null : response.body,
    {status: response.status, statusText: response.statusText, headers});
}

/**
 * Whether this worker still speaks for the site's current build. An old worker keeps running
 * while its successor installs and activates; what it stored then would carry its old hashes.
 */
function inCharge() {
  const registration = self.registration;
  // A successor installing or waiting: the browser saw a new sw.js, so there is a new build.
  // This is asked anew each time, as a worker's globals (`outdated`) go when the browser stops it.
  if (outdated || registration.installing || registration.waiting) return false;
  const me = self.serviceWorker;  // undefined in older browsers: then only the above can tell
  return !me || !registration.active || registration.active === me;
}

/** Hex SHA-256 (16 digits, as the manifest writes them) of some bytes. */
async function shortHash(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Store `response` (a clone) for `url` if its bytes are the ones this build lists, labelled with
 * their hash. Bytes that differ are never stored under this build's label: they come from an
 * HTTP or CDN cache that has not seen the new build yet (GitHub Pages caches for 10 minutes), or
 * from a newer build than this worker's.
 */
async function store(cache, url, response) {
  const hash = hashes.get(url);
  if (!hash || !response.ok || response.type === 'opaque' || !inCharge()) return;
  const body = await response.clone().arrayBuffer();
  if ((await shortHash(body)) !== hash || !inCharge()) return;
  const stored = new Response(body, {status: response.status, statusText: response.statusText, headers: response.headers});
  await cache.put(url, withHeaders(stored, new URL(url).origin === origin, {[HASH_HEADER]: hash}));
}

/** The cached response for `url` if it holds this build's bytes, else null. */
async function current(cache, url) {
  const cached = await cache.match(url);
  if (!cached) return null;
  const hash = hashes.get(url);
  return hash && cached.headers.get(HASH_HEADER) === hash ? cached : null;
}

// No skipWaiting(): a new build's worker waits until no page uses the old one (every tab of the
// site closed or gone elsewhere). Skipping the wait makes Chromium hold navigations until the old
// worker is idle, and an open demo page keeps it busy: a reload after a deploy then hung (headless
// Chromium 156). Meanwhile the old worker sees its successor waiting and answers from the
// network (`inCharge`), so pages still get the new build's files.

// A new build: drop what it no longer lists or whose bytes changed, and caches of other names.
self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE && name.startsWith(CACHE)) await caches.delete(name);
    }
    await prune(await caches.open(CACHE));
    await self.clients.claim();
  })());
});

/** Delete the cached files this build does not list, or lists with other bytes. */
async function prune(cache) {
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    const hash = hashes.get(request.url);
    if (!known.has(request.url) || !hash || !response || response.headers.get(HASH_HEADER) !== hash) {
      await cache.delete(request);
    }
  }
}

// A page asks which build this worker serves: {type: 'version'}, with a port for the reply.
self.addEventListener('message', (event) => {
  if ((event.data || {}).type === 'version' && event.ports[0]) {
    event.ports[0].postMessage({type: 'version', version: MANIFEST.version});
  }
});

// A page asks for its files to be cached: {type: 'cache-page', page: location.href}.
self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type !== 'cache-page') return;
  // A worker that is being replaced leaves the caching to its successor, which the page asks
  // again once it takes control (site_src/sw/register.ts).
  if (!inCharge()) return;
  const urls = filesByPage.get(normalize(data.page)) || [];
  event.waitUntil((async () => {
    let message;
    try {
      const cache = await caches.open(CACHE);
      // What an old worker stored while this one was activating carries old hashes: drop it.
      await prune(cache);
      // Files the page already loaded through the fetch handler are cached: fetch only the rest, together.
      const missing = [];
      for (const url of urls) {
        if (!(await current(cache, url))) missing.push(url);
      }
      await Promise.all(missing.map(async (url) => {
        const response = await fetch(url, {cache: 'no-cache'});
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        await store(cache, url, response);
        if (!(await current(cache, url))) {
          throw new Error(`${url}: not stored (the server sent other bytes than this build's, or a newer build took over)`);
        }
      }));
      message = {type: 'cached', page: data.page, files: urls.length, fetched: missing.length,
        version: MANIFEST.version, isolated: true};
    } catch (err) {
      message = {type: 'cache-failed', page: data.page, reason: String(err)};
    }
    if (event.source) event.source.postMessage(message);
  })());
});

/**
 * `request` revalidated with the server: the HTTP cache may still hold an older build's bytes.
 * A navigation request cannot be copied with changes, so a new one is made for its URL.
 */
function revalidating(request) {
  if (request.mode === 'navigate') {
    return new Request(request.url, {cache: 'no-cache', credentials: 'same-origin', redirect: 'manual'});
  }
  return new Request(request, {cache: 'no-cache'});
}

/**
 * The site's files: this build's cached copy first (its hash says it is current), else the
 * network (then cached); pages (HTML) network first, so a new build shows up at once. The cache
 * answers whenever the network fails.
 */
async function respond(event) {
  const request = event.request;
  const url = normalize(request.url);
  const sameOrigin = new URL(url).origin === origin;
  const listed = known.has(url);
  const cache = listed ? await caches.open(CACHE) : null;
  const page = request.mode === 'navigate' || url.endsWith('.html');
  const inChargeNow = inCharge();
  if (listed && !page && inChargeNow) {
    const cached = await current(cache, url);
    if (cached) return withHeaders(cached, sameOrigin, {[SOURCE_HEADER]: 'cache'});
  }
  let outgoing = request;
  if (!sameOrigin && request.mode === 'no-cors') {
    // An <img> of a data host: ask for CORS, so the response may be embedded (COEP) and read.
    outgoing = new Request(request.url, {mode: 'cors', credentials: 'omit'});
  }
  try {
    const response = await fetch(listed ? revalidating(outgoing) : outgoing);
    if (page && listed && response.ok && inChargeNow && hashes.has(url)) {
      // Before the page's own requests start: a page that is not this build's means a new build.
      if ((await shortHash(await response.clone().arrayBuffer())) !== hashes.get(url)) {
        outdated = true;
        self.registration.update().catch(() => undefined);
      }
    }
    // Not awaited: the page reads the body as it arrives (its progress bar counts the bytes).
    if (listed && inChargeNow) event.waitUntil(store(cache, url, response).catch(() => undefined));
    return withHeaders(response, sameOrigin);
  } catch (err) {
    const cached = listed ? await cache.match(url) : await caches.match(url);
    if (cached) return withHeaders(cached, sameOrigin, {[SOURCE_HEADER]: 'cache'});
    if (outgoing !== request) return fetch(request);  // the data host sends no CORS: as the page asked
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || request.headers.has('range')) return;
  const url = new URL(request.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
  const inScope = request.url.startsWith(scope);
  if (!inScope && !known.has(normalize(request.url)) && request.mode !== 'no-cors') return;
  // `only-if-cached` requests must be same-origin (DevTools sends some): leave them alone.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(respond(event));
});
