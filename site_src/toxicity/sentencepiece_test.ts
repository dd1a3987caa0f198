import {test} from 'node:test';
import assert from 'node:assert/strict';
import {batchInputs, normalize, UnigramTokenizer, Vocabulary} from './sentencepiece';

const VOCAB: Vocabulary = [
  ['<unk>', 0], ['<s>', 0], ['</s>', 0],
  ['▁', -2], ['▁hello', -3], ['▁he', -2.5], ['llo', -2.5], ['h', -4], ['e', -4], ['l', -4], ['o', -4],
  ['▁world', -3.5], ['w', -4], ['r', -4], ['d', -4], ['fi', -3],
];

test('normalize applies NFKC and marks spaces with ▁', () => {
  assert.equal(normalize('hello world'), '▁hello▁world');
  assert.equal(normalize('ﬁ'), '▁fi'); // NFKC ligature
  assert.equal(normalize(''), '');
  assert.equal(normalize(' a'), '▁▁a');
});

test('Viterbi picks the best-scoring segmentation', () => {
  const tok = new UnigramTokenizer(VOCAB, {reservedSymbols: 3});
  // ▁hello (-3) beats ▁he + llo (-5).
  assert.deepEqual(tok.encode('hello'), [4]);
  assert.deepEqual(tok.encode('hello world'), [4, 11]);
  assert.deepEqual(tok.encode('ﬁ'), [3, 15]);
});

test('unknown characters become one unknown id per run', () => {
  const tok = new UnigramTokenizer(VOCAB, {reservedSymbols: 3});
  assert.deepEqual(tok.encode('hello ZZZ'), [4, 3, 0]);
  assert.deepEqual(tok.encode('h😀😀o'), [3, 7, 0, 10]);
});

test('batchInputs flattens ids with [sentence, position] indices', () => {
  const {values, indices} = batchInputs([[5, 6], [7]]);
  assert.deepEqual(Array.from(values), [5, 6, 7]);
  assert.deepEqual(Array.from(indices), [0, 0, 0, 1, 1, 0]);
});
