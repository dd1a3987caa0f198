// mkdocs-material's inline partials/javascripts/base.html, as a file for the Content-Security-Policy:
// the storage helpers its other scripts use, scoped to the docs' base URL (this tag's data-scope).
var __md_scope = new URL(document.currentScript.dataset.scope, location);
var __md_hash = (text) => [...text].reduce((hash, c) => (hash << 5) - hash + c.charCodeAt(0), 0);
var __md_get = (key, storage = localStorage, scope = __md_scope) =>
  JSON.parse(storage.getItem(scope.pathname + "." + key));
var __md_set = (key, value, storage = localStorage, scope = __md_scope) => {
  try {
    storage.setItem(scope.pathname + "." + key, JSON.stringify(value));
  } catch (e) {
    // Storage full or disabled: the choice is simply not remembered.
  }
};
