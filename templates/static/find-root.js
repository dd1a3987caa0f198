// The site's 404 page. Hosts serve the same 404.html for a missing address at any depth (GitHub
// Pages: /repo/missing and /repo/a/b/c/missing), so its links can be neither relative nor, without
// site_url, absolute: the site's root is not known when it is built. It is the deepest folder of
// this address whose 404.html is a page like this one (the `site-not-found` meta element tells it
// from another site's, e.g. a user site at the domain root); the links marked data-site-path are
// then pointed there. Without JavaScript, or when no folder answers, they keep the build's href
// (site_url, else the domain root).
'use strict';
(async () => {
  const folders = location.pathname.split('/').slice(0, -1);
  const roots = []; // deepest first; no site sits more than 8 folders deep, so a long address costs 8 requests
  for (let n = Math.min(folders.length, 8); n > 0; n--) roots.push(folders.slice(0, n).join('/') + '/');
  const isRoot = async (root) => {
    try {
      const response = await fetch(root + '404.html', {cache: 'no-store'});
      return response.ok && (await response.text()).includes('<meta name="site-not-found"');
    } catch {
      return false; // offline: keep the build's links
    }
  };
  const found = await Promise.all(roots.map(isRoot));
  const root = roots[found.indexOf(true)];
  if (root === undefined) return;
  for (const link of document.querySelectorAll('a[data-site-path]')) link.href = root + link.dataset.sitePath;
  document.documentElement.dataset.siteRoot = root;
})();
