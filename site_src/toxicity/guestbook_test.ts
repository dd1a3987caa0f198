import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  addEntry, clearEntries, Entry, isGuestbookKey, LEGACY_KEY, loadEntries, makeEntry, migrateLegacy, newId,
  POST_PREFIX, removeEntry, STORAGE_FULL_MESSAGE, StorageFullError,
} from './guestbook';

/** localStorage in memory, shared by several "tabs", with a quota in characters (keys + values). */
class FakeStorage {
  items = new Map<string, string>();
  constructor(public quota = Infinity) {}
  get length(): number { return this.items.size; }
  key(i: number): string | null { return [...this.items.keys()][i] ?? null; }
  getItem(key: string): string | null { return this.items.get(key) ?? null; }
  removeItem(key: string): void { this.items.delete(key); }
  setItem(key: string, value: string): void {
    const used = [...this.items].reduce((n, [k, v]) => n + (k === key ? 0 : k.length + v.length), 0);
    if (used + key.length + value.length > this.quota) {
      throw new DOMException(`Setting the value of '${key}' exceeded the quota.`, 'QuotaExceededError');
    }
    this.items.set(key, value);
  }
}

const T0 = new Date('2026-01-02T03:04:05Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const messages = (entries: Entry[]) => entries.map((e) => e.message);

test('entries round-trip through storage, markup kept as plain text', () => {
  const storage = new FakeStorage();
  const entry = makeEntry(' Ada ', '<img src=x onerror=alert(1)>', T0)!;
  assert.deepEqual({...entry, id: ''}, {id: '', name: 'Ada', message: '<img src=x onerror=alert(1)>',
    time: '2026-01-02T03:04:05.000Z'});
  addEntry(storage, entry);
  assert.deepEqual(loadEntries(storage), [entry]);
  assert.deepEqual([...storage.items.keys()], [POST_PREFIX + entry.id]);
});

test('ids sort by time and differ within one millisecond', () => {
  assert.ok(newId(at(0)) < newId(at(1)));
  assert.notEqual(newId(T0), newId(T0));
  assert.match(newId(T0, () => 0), /^[0-9a-z]{9}-0{12}$/);
});

test('blank fields make no entry; malformed records are skipped', () => {
  assert.equal(makeEntry('  ', 'hi'), null);
  assert.equal(makeEntry('Ada', ' \n '), null);
  const storage = new FakeStorage();
  assert.deepEqual(loadEntries(storage), []);
  storage.setItem(POST_PREFIX + 'a', '{not json');
  storage.setItem(POST_PREFIX + 'b', JSON.stringify({id: 'b', name: 1}));
  storage.setItem(POST_PREFIX + 'c', JSON.stringify({id: 'other', name: 'a', message: 'b', time: 't'}));
  storage.setItem(POST_PREFIX + 'd', JSON.stringify({id: 'd', name: 'a', message: 'b', time: 't'}));
  assert.deepEqual(loadEntries(storage), [{id: 'd', name: 'a', message: 'b', time: 't'}]);
});

test('two tabs posting in turn keep every post (each writes only its own record)', () => {
  const shared = new FakeStorage();
  // Each tab loads once, then posts without reloading: the old format lost the other tab's posts here.
  const [tabA, tabB] = [loadEntries(shared), loadEntries(shared)];
  for (let i = 0; i < 5; i++) {
    addEntry(shared, makeEntry('A', `a${i}`, at(2 * i))!);
    addEntry(shared, makeEntry('B', `b${i}`, at(2 * i + 1))!);
  }
  assert.deepEqual(tabA.concat(tabB), []);
  assert.deepEqual(messages(loadEntries(shared)), ['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4']);
});

test('a full store fails one post with a clear message, and works again once space is freed', () => {
  const storage = new FakeStorage(400);
  addEntry(storage, makeEntry('Ada', 'first', at(0))!);
  storage.setItem('other-app', 'x'.repeat(400 - [...storage.items].reduce((n, [k, v]) => n + k.length + v.length,
    0) - 'other-app'.length));
  const second = makeEntry('Ada', 'second', at(1))!;
  assert.throws(() => addEntry(storage, second), (err: unknown) =>
    err instanceof StorageFullError && err.message === STORAGE_FULL_MESSAGE);
  assert.match(STORAGE_FULL_MESSAGE, /^Storage is full: this post was not saved/);
  assert.deepEqual(messages(loadEntries(storage)), ['first']);
  storage.removeItem('other-app');
  addEntry(storage, second);
  assert.deepEqual(messages(loadEntries(storage)), ['first', 'second']);
});

test('errors other than the quota are not disguised as a full store', () => {
  const storage = new FakeStorage();
  storage.setItem = () => { throw new DOMException('The operation is insecure.', 'SecurityError'); };
  assert.throws(() => addEntry(storage, makeEntry('Ada', 'hi')!), {name: 'SecurityError'});
});

test('posts of the old single-key format are migrated, once, by any number of tabs', () => {
  const storage = new FakeStorage();
  const old = [{name: 'a', message: 'old0', time: T0.toISOString()}, {name: 1},
    {name: 'b', message: 'old2', time: at(1).toISOString()}];
  storage.setItem(LEGACY_KEY, JSON.stringify(old));
  storage.setItem('other-app', 'kept');
  migrateLegacy(storage);
  // An old tab still open writes its list again; it is migrated to the same records.
  storage.setItem(LEGACY_KEY, JSON.stringify(old));
  migrateLegacy(storage);
  assert.equal(storage.getItem(LEGACY_KEY), null);
  assert.deepEqual(loadEntries(storage).map((e) => [e.id, e.message]), [['v1-000000', 'old0'], ['v1-000002', 'old2']]);
  assert.equal(storage.getItem('other-app'), 'kept');
});

test('a store too full to migrate keeps the old posts, readable and deletable', () => {
  const old = [{name: 'a', message: 'old0', time: T0.toISOString()}, {name: 'b', message: 'old1', time: T0.toISOString()}];
  const value = JSON.stringify(old);
  const storage = new FakeStorage(LEGACY_KEY.length + value.length + 10);
  storage.setItem(LEGACY_KEY, value);
  migrateLegacy(storage);
  assert.notEqual(storage.getItem(LEGACY_KEY), null);
  assert.deepEqual(messages(loadEntries(storage)), ['old0', 'old1']);
  removeEntry(storage, 'v1-000000');
  assert.deepEqual(loadEntries(storage).map((e) => [e.id, e.message]), [['v1-000001', 'old1']]);
});

test('delete and clear touch only the guestbook', () => {
  const storage = new FakeStorage();
  const [a, b] = [makeEntry('A', 'a', at(0))!, makeEntry('B', 'b', at(1))!];
  addEntry(storage, a);
  addEntry(storage, b);
  storage.setItem('other-app', 'kept');
  removeEntry(storage, a.id);
  assert.deepEqual(messages(loadEntries(storage)), ['b']);
  storage.setItem(LEGACY_KEY, JSON.stringify([{name: 'c', message: 'c', time: 't'}]));
  clearEntries(storage);
  assert.deepEqual(loadEntries(storage), []);
  assert.deepEqual([...storage.items.keys()], ['other-app']);
});

test('storage events of the guestbook are recognised', () => {
  assert.ok(isGuestbookKey(null));
  assert.ok(isGuestbookKey(LEGACY_KEY));
  assert.ok(isGuestbookKey(POST_PREFIX + 'x'));
  assert.ok(!isGuestbookKey('other-app'));
});
