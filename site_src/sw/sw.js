// The site's service worker: keeps each demo (page, script bundle, stylesheet, TF.js WASM
// binaries and model files) in a cache so a phone that opened it once can reopen it offline.
// builders/service_worker.py copies this file to <site>/sw.js and replaces the MANIFEST line with
// the build's file list: {"version": hash of every listed file, "pages": {"jax/index.html": [urls]}}
// where urls are relative to the site root (or absolute, for data on another origin).
'use strict';

const MANIFEST = {version: '', pages: {}}; // replaced at build time
const CACHE = 'jax-on-the-web';
const scope = self.registration.scope;

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
const known = new Set([...filesByPage.values()].flat());

self.addEventListener('install', () => {
  self.skipWaiting();
});

// Drop cached files that this build no longer lists (old bundles, removed models).
self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    for (const request of await cache.keys()) {
      if (!known.has(request.url)) await cache.delete(request);
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
      // Files the page already loaded through the fetch handler are cached: fetch only the rest.
      const missing = [];
      for (const url of urls) {
        if (!(await cache.match(url))) missing.push(url);
      }
      await cache.addAll(missing);
      message = {type: 'cached', page: data.page, files: urls.length, version: MANIFEST.version};
    } catch (err) {
      message = {type: 'cache-failed', page: data.page, reason: String(err)};
    }
    if (event.source) event.source.postMessage(message);
  })());
});

// Network first, so a new build shows up at once; the cache answers when the network fails.
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = normalize(request.url);
  if (!known.has(url)) return;
  event.respondWith((async () => {
    try {
      const response = await fetch(request);
      if (response.ok) {
        const cache = await caches.open(CACHE);
        await cache.put(url, response.clone());
      }
      return response;
    } catch (err) {
      const cached = await caches.match(url);
      if (cached) return cached;
      throw err;
    }
  })());
});
