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

/** Store `response` (a clone) for `url` with the hash this build lists for it. */
async function store(cache, url, response) {
  const hash = hashes.get(url);
  if (!hash || !response.ok || response.type === 'opaque') return;
  await cache.put(url, withHeaders(response.clone(), new URL(url).origin === origin, {[HASH_HEADER]: hash}));
}

/** The cached response for `url` if it holds this build's bytes, else null. */
async function current(cache, url) {
  const cached = await cache.match(url);
  if (!cached) return null;
  const hash = hashes.get(url);
  return hash && cached.headers.get(HASH_HEADER) === hash ? cached : null;
}

self.addEventListener('install', () => {
  self.skipWaiting();
});

// A new build: drop what it no longer lists or whose bytes changed, and caches of other names.
self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE && name.startsWith(CACHE)) await caches.delete(name);
    }
    const cache = await caches.open(CACHE);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const hash = hashes.get(request.url);
      if (!known.has(request.url) || !hash || !response || response.headers.get(HASH_HEADER) !== hash) {
        await cache.delete(request);
      }
    }
    await self.clients.claim();
  })());
});

// A page asks for its files to be cached: {type: 'cache-page', page: location.href}.
self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type !== 'cache-page') return;
  const urls = filesByPage.get(normalize(data.page)) || [];
  event.waitUntil((async () => {
    let message;
    try {
      const cache = await caches.open(CACHE);
      // Files the page already loaded through the fetch handler are cached: fetch only the rest, together.
      const missing = [];
      for (const url of urls) {
        if (!(await current(cache, url))) missing.push(url);
      }
      await Promise.all(missing.map(async (url) => {
        const response = await fetch(url, {cache: 'no-cache'});
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        await store(cache, url, response);
      }));
      message = {type: 'cached', page: data.page, files: urls.length, fetched: missing.length,
        version: MANIFEST.version, isolated: true};
    } catch (err) {
      message = {type: 'cache-failed', page: data.page, reason: String(err)};
    }
    if (event.source) event.source.postMessage(message);
  })());
});

// Set once a page fetched from the network differs from this worker's manifest: the site was
// rebuilt since this worker was installed, so its hashes cannot tell a current file from an old
// one. It then answers from the network first (the cache only offline) until the new worker,
// which the browser is installing meanwhile, takes over.
let outdated = false;

/** Hex SHA-256 (16 digits, as the manifest writes them) of a response's body. */
async function shortHash(response) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await response.arrayBuffer()));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
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
  if (listed && !page && !outdated) {
    const cached = await current(cache, url);
    if (cached) return withHeaders(cached, sameOrigin, {[SOURCE_HEADER]: 'cache'});
  }
  let outgoing = request;
  if (!sameOrigin && request.mode === 'no-cors') {
    // An <img> of a data host: ask for CORS, so the response may be embedded (COEP) and read.
    outgoing = new Request(request.url, {mode: 'cors', credentials: 'omit'});
  }
  try {
    const response = await fetch(outgoing);
    if (page && listed && response.ok && !outdated && hashes.has(url)) {
      // Before the page's own requests start: a page that is not this build's means a new build.
      if ((await shortHash(response.clone())) !== hashes.get(url)) {
        outdated = true;
        self.registration.update().catch(() => undefined);
      }
    }
    // Not awaited: the page reads the body as it arrives (its progress bar counts the bytes).
    if (listed && !outdated) event.waitUntil(store(cache, url, response).catch(() => undefined));
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
