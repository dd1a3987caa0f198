import {test} from 'node:test';
import assert from 'node:assert/strict';
import {TfidfVectorizer, VectorizerSpec} from './vectorizer';

function spec(overrides: Partial<VectorizerSpec> = {}): VectorizerSpec {
  return {
    format: 'tfidf-vectorizer/1', source: 'test', label: 'profanity',
    terms: ['hello', 'world', 'straße', 'ab_c'], idf: [1, 2, 3, 4], stop_words: ['the'],
    token_pattern: '(?u)\\b\\w\\w+\\b', lowercase: true, strip_accents: null, ngram_range: [1, 1],
    sublinear_tf: false, norm: 'l2',
    // ASCII digits, '_', ASCII letters, 'ß' and the Latin-1 letters, as Python's \w would say.
    word_char_ranges: [[48, 57], [65, 90], [95, 95], [97, 122], [170, 170], [223, 246]],
    ...overrides,
  };
}

test('tokens are lower-cased runs of 2+ word characters, without stop words', () => {
  const v = new TfidfVectorizer(spec());
  assert.deepEqual(v.tokenize('Hello, THE World! a b ab_c x1 STRASSE Straße'),
    ['hello', 'world', 'ab_c', 'x1', 'strasse', 'straße']);
  assert.deepEqual(v.tokenize(''), []);
});

test('rows are tf * idf, l2-normalised; unknown words ignored', () => {
  const v = new TfidfVectorizer(spec());
  const row = v.transformOne('hello hello world unknown');
  const norm = Math.hypot(2 * 1, 1 * 2);
  assert.deepEqual([...row], [[0, 2 / norm], [1, 2 / norm]]);
  assert.equal(v.transformOne('nothing known').size, 0);
  const dense = v.transform(['world', 'ab_c']);
  assert.deepEqual(Array.from(dense), [0, 1, 0, 0, 0, 0, 0, 1]);
});

test('unsupported settings are reported by name', () => {
  assert.throws(() => new TfidfVectorizer(spec({ngram_range: [1, 2]})), /unsupported settings: ngram_range \[1,2\]/);
  assert.throws(() => new TfidfVectorizer(spec({token_pattern: '\\w+'})), /token_pattern/);
});
