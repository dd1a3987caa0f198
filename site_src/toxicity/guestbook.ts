/** Guestbook entries and their persistence in localStorage (plain data, rendered as text elsewhere). */

export interface Entry {
  name: string;
  message: string;
  /** ISO 8601 time of posting. */
  time: string;
}

export const STORAGE_KEY = 'jax-web-demos/toxicity/guestbook/v1';

function isEntry(value: unknown): value is Entry {
  const v = value as Entry;
  return typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.message === 'string' &&
    typeof v.time === 'string';
}

/** Stored entries, oldest first; anything malformed (edited by hand, older format) is dropped. */
export function loadEntries(storage: Pick<Storage, 'getItem'>): Entry[] {
  try {
    const parsed = JSON.parse(storage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return Array.isArray(parsed) ? parsed.filter(isEntry) : [];
  } catch {
    return [];
  }
}

export function saveEntries(storage: Pick<Storage, 'setItem'>, entries: Entry[]): void {
  storage.setItem(STORAGE_KEY, JSON.stringify(entries));
}

/** A new entry from form values; `null` when the name or message is blank. */
export function makeEntry(name: string, message: string, now: Date = new Date()): Entry | null {
  const n = name.trim();
  const m = message.trim();
  return n && m ? {name: n, message: m, time: now.toISOString()} : null;
}
