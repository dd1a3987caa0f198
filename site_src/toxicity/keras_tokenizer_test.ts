import {test} from 'node:test';
import assert from 'node:assert/strict';
import {KerasTokenizer, KerasTokenizerSpec} from './keras_tokenizer';

function spec(overrides: Partial<KerasTokenizerSpec> = {}): KerasTokenizerSpec {
  return {
    format: 'keras-tokenizer/1', source: 'test', words: ['the', 'you', "it's", 'straße', '🎉', 'x'],
    num_words: 7, filters: '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n', lower: true, split: ' ', max_len: 4,
    padding: 'pre', truncating: 'pre', labels: ['toxic'], ...overrides,
  };
}

test('words: lower-case, filters become spaces, empty words dropped, apostrophes kept', () => {
  const t = new KerasTokenizer(spec());
  assert.deepEqual(t.words("Hello,  WORLD!! it's a-test\tof\nsplitting "),
    ['hello', 'world', "it's", 'a', 'test', 'of', 'splitting']);
  assert.deepEqual(t.words('STRASSE Straße 🎉!'), ['strasse', 'straße', '🎉']);
  assert.deepEqual(t.words(''), []);
  assert.deepEqual(t.words('\u00a0'), ['\u00a0']);  // only ' ' splits (Python's str.split(' '))
});

test('encode: unknown words dropped, last max_len ids kept, zeros in front', () => {
  const t = new KerasTokenizer(spec());
  assert.deepEqual(Array.from(t.encode(['you the'])), [0, 0, 2, 1]);
  assert.deepEqual(Array.from(t.encode(['the you x 🎉 nope straße'])), [2, 6, 5, 4]);
  assert.deepEqual(Array.from(t.encode(['', 'nothing known'])), [0, 0, 0, 0, 0, 0, 0, 0]);
});

test('unsupported settings are reported by name', () => {
  assert.throws(() => new KerasTokenizer(spec({format: 'x' as 'keras-tokenizer/1'})), /unsupported settings: format "x"/);
  assert.throws(() => new KerasTokenizer(spec({num_words: 20000})), /6 words for num_words 20000/);
  assert.throws(() => new KerasTokenizer(spec({padding: 'post' as 'pre'})), /padding "post"/);
});
