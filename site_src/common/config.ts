/** Per-page settings the build writes into `<script type="application/json" id="page-config">`. */
export interface PageConfig {
  /** Base URL (ending in `/`) of model data; relative to the page or absolute (CORS). */
  dataBaseUrl: string;
  /** Relative path from the page to the site root, e.g. `../`. */
  root: string;
  /** Demo-specific values from the build (see each demo's manifest). */
  [key: string]: unknown;
}

/** Read the page's build-time configuration. */
export function readPageConfig(doc: Document = document): PageConfig {
  const el = doc.getElementById('page-config');
  if (!el || !el.textContent) throw new Error('page-config is missing from the page');
  return JSON.parse(el.textContent) as PageConfig;
}

/** Resolve `path` (like `models/jax/static/model.json`) against the data base URL. */
export function dataUrl(config: PageConfig, path: string): string {
  return new URL(config.dataBaseUrl + path, document.baseURI).href;
}
