/**
 * Guestbook posts and their persistence in localStorage (plain data, rendered as text elsewhere).
 *
 * Each post is its own record, `POST_PREFIX + id`, with an id made of the posting time and a random
 * part. A tab only ever writes the one record it adds (or removes the ones it deletes), so any number
 * of tabs can post at once without overwriting each other, and a full store fails for that one post
 * only: nothing is held in memory that a later write has to carry.
 */

export interface Entry {
  /** Unique key of the post: `<time in base 36>-<random>` (or `v1-<index>` for migrated posts). */
  id: string;
  name: string;
  message: string;
  /** ISO 8601 time of posting. */
  time: string;
}

/** The parts of `Storage` the guestbook uses (a fake one in the tests). */
export type GuestbookStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'>;

/** Prefix of every post's key; other keys of the origin are never read or touched. */
export const POST_PREFIX = 'jax-web-demos/toxicity/guestbook/v2/post/';
/** The old format: the whole list as one JSON array under one key (lost posts with several tabs). */
export const LEGACY_KEY = 'jax-web-demos/toxicity/guestbook/v1';

export const STORAGE_FULL_MESSAGE = 'Storage is full: this post was not saved. Delete old posts or free space ' +
  'in this browser, then post again.';

/** The browser refused to store a post because its storage quota is used up. */
export class StorageFullError extends Error {
  constructor() {
    super(STORAGE_FULL_MESSAGE);
    this.name = 'StorageFullError';
  }
}

/** True for the quota errors of Chromium/WebKit (`QuotaExceededError`, code 22) and Firefox (code 1014). */
export function isQuotaError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const {name, code} = err as {name?: unknown; code?: unknown};
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22 || code === 1014;
}

/** True when a `storage` event for `key` (null: the whole store was cleared) concerns the guestbook. */
export function isGuestbookKey(key: string | null): boolean {
  return key === null || key === LEGACY_KEY || key.startsWith(POST_PREFIX);
}

function isEntry(value: unknown): value is Entry {
  const v = value as Entry;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' && typeof v.name === 'string' &&
    typeof v.message === 'string' && typeof v.time === 'string';
}

function parse(text: string | null): unknown {
  try {
    return text === null ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

/** A post id that sorts by time; the random part keeps posts of the same millisecond in two tabs apart. */
export function newId(now: Date = new Date(), random: () => number = Math.random): string {
  const part = () => Math.floor(random() * 36 ** 6).toString(36).padStart(6, '0');
  return `${now.getTime().toString(36).padStart(9, '0')}-${part()}${part()}`;
}

/**
 * Posts of the old single-key format. Their ids depend only on their place in that list, so tabs
 * that migrate at the same time (or an old tab that writes the list again) produce the same records.
 */
function legacyEntries(storage: GuestbookStorage): Entry[] {
  const parsed = parse(storage.getItem(LEGACY_KEY));
  if (!Array.isArray(parsed)) return [];
  return parsed.map((e, i) => ({...(e as object), id: `v1-${String(i).padStart(6, '0')}`})).filter(isEntry);
}

/**
 * Move posts of the old format into one record each, then drop the old key. When the store is too
 * full to copy them, the old key is kept (and still read by `loadEntries`), so nothing is lost.
 */
export function migrateLegacy(storage: GuestbookStorage): void {
  if (storage.getItem(LEGACY_KEY) === null) return;
  try {
    for (const entry of legacyEntries(storage)) storage.setItem(POST_PREFIX + entry.id, JSON.stringify(entry));
  } catch (err) {
    if (isQuotaError(err)) return;
    throw err;
  }
  storage.removeItem(LEGACY_KEY);
}

/** Every guestbook key now in `storage` (collected first: removing while indexing skips keys). */
function postKeys(storage: GuestbookStorage): string[] {
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key !== null && key.startsWith(POST_PREFIX)) keys.push(key);
  }
  return keys;
}

/** Stored posts, oldest first; records that are malformed (edited by hand) are skipped. */
export function loadEntries(storage: GuestbookStorage): Entry[] {
  const byId = new Map<string, Entry>();
  for (const entry of legacyEntries(storage)) byId.set(entry.id, entry);
  for (const key of postKeys(storage)) {
    const entry = parse(storage.getItem(key));
    if (isEntry(entry) && POST_PREFIX + entry.id === key) byId.set(entry.id, entry);
  }
  return [...byId.values()].sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
}

/** Store one post; throws `StorageFullError` when the browser's quota is used up (nothing is stored then). */
export function addEntry(storage: GuestbookStorage, entry: Entry): void {
  try {
    storage.setItem(POST_PREFIX + entry.id, JSON.stringify(entry));
  } catch (err) {
    throw isQuotaError(err) ? new StorageFullError() : err;
  }
}

/** Delete one post (from the old format too, when it has not been migrated yet). */
export function removeEntry(storage: GuestbookStorage, id: string): void {
  storage.removeItem(POST_PREFIX + id);
  const legacy = parse(storage.getItem(LEGACY_KEY));
  const index = legacy !== null && id.startsWith('v1-') ? Number(id.slice(3)) : -1;
  if (Array.isArray(legacy) && index >= 0 && index < legacy.length) {
    // A hole, not a splice: the other old posts keep their place, hence their ids. Smaller, so it fits.
    legacy[index] = null;
    storage.setItem(LEGACY_KEY, JSON.stringify(legacy));
  }
}

/** Delete every post, in every format; other keys of the origin are left alone. */
export function clearEntries(storage: GuestbookStorage): void {
  for (const key of postKeys(storage)) storage.removeItem(key);
  storage.removeItem(LEGACY_KEY);
}

/** A new entry from form values; `null` when the name or message is blank. */
export function makeEntry(name: string, message: string, now: Date = new Date(),
  random: () => number = Math.random): Entry | null {
  const n = name.trim();
  const m = message.trim();
  return n && m ? {id: newId(now, random), name: n, message: m, time: now.toISOString()} : null;
}
