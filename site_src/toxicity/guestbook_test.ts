import {test} from 'node:test';
import assert from 'node:assert/strict';
import {loadEntries, makeEntry, saveEntries, STORAGE_KEY} from './guestbook';

class MemoryStorage {
  items = new Map<string, string>();
  getItem(key: string): string | null { return this.items.get(key) ?? null; }
  setItem(key: string, value: string): void { this.items.set(key, value); }
}

test('entries round-trip through storage, markup kept as plain text', () => {
  const storage = new MemoryStorage();
  const entry = makeEntry(' Ada ', '<img src=x onerror=alert(1)>', new Date('2026-01-02T03:04:05Z'))!;
  assert.deepEqual(entry, {name: 'Ada', message: '<img src=x onerror=alert(1)>', time: '2026-01-02T03:04:05.000Z'});
  saveEntries(storage, [entry]);
  assert.deepEqual(loadEntries(storage), [entry]);
});

test('blank fields make no entry; malformed storage is ignored', () => {
  assert.equal(makeEntry('  ', 'hi'), null);
  assert.equal(makeEntry('Ada', ' \n '), null);
  const storage = new MemoryStorage();
  assert.deepEqual(loadEntries(storage), []);
  storage.setItem(STORAGE_KEY, '{not json');
  assert.deepEqual(loadEntries(storage), []);
  storage.setItem(STORAGE_KEY, JSON.stringify([{name: 'a', message: 'b', time: 't'}, {name: 1}, null]));
  assert.deepEqual(loadEntries(storage), [{name: 'a', message: 'b', time: 't'}]);
});
