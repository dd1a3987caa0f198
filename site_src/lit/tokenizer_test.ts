import assert from 'node:assert/strict';
import {test} from 'node:test';

import type {ModelDef, TokenizerSpec, Vocabulary} from './formats';
import {BertTokenizer, LitTokenizer} from './tokenizer';

// A hand-made BPE vocabulary: merges score higher the earlier they were learned.
const VOCAB: Vocabulary = [
  ['<pad>', 0], ['</s>', 0], ['<unk>', 0], ['▁r', -0], ['ed', -1], ['▁red', -2], ['▁a', -3],
  ['▁', -4], ['a', -5], ['r', -6], ['e', -7], ['d', -8],
];
const SPEC: TokenizerSpec = {
  model_type: 'BPE', unk_id: 2, eos_id: 1, bos_id: -1, pad_id: 0, control_ids: [0, 1], user_defined_ids: [],
  normalizer: {precompiled_charsmap: '', add_dummy_prefix: true, remove_extra_whitespaces: true,
    escape_whitespaces: true},
};
const DEF: ModelDef = {description: '', tokenizer_type: 'BPE', temperature: 10, pad_value: 0, max_len: 5,
  embedding_size: 2};

test('BPE merges by score and escapes spaces', () => {
  const tok = LitTokenizer.fromFiles(DEF, VOCAB, SPEC);
  assert.deepEqual(tok.sp.encode('a red'), [6, 5]);
  assert.deepEqual(tok.sp.encode('  a   red  '), [6, 5]);
  assert.deepEqual(tok.sp.encode(''), []);
});

test('runs of unknown characters become one <unk>', () => {
  const tok = LitTokenizer.fromFiles(DEF, VOCAB, SPEC);
  assert.deepEqual(tok.sp.encode('xyz red'), [7, 2, 5]);
  assert.deepEqual(tok.sp.encode('</s>'), [7, 2]);  // control pieces never match text
});

test('the end token is sticky when truncating, and rows are padded', () => {
  const tok = LitTokenizer.fromFiles(DEF, VOCAB, SPEC);
  assert.deepEqual(tok.ids('red red red red red red'), [5, 5, 5, 5, 1]);
  assert.deepEqual(Array.from(tok.tokenize(['a', 'red red'])), [6, 1, 0, 0, 0, 5, 5, 1, 0, 0]);
});

test('without tokenizer.json the special pieces are found by name', () => {
  const tok = LitTokenizer.fromFiles(DEF, VOCAB, null);
  assert.equal(tok.eosId, 1);
  assert.deepEqual(tok.ids('ａ red'), [6, 5, 1]);  // NFKC maps the full-width letter
});

// A WordPiece vocabulary in vocabulary.json's form (id order, score 0), as the photo source writes it.
const BERT: Vocabulary = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'a', 'cat', 'red', '##s', 'on'].map((p) => [p, 0]);

test('BertTokenizer: [CLS] pieces [SEP], padded with 0; case and extra spaces do not change the ids', () => {
  const tok = new BertTokenizer(BERT, 6);
  assert.deepEqual(Array.from(tok.tokenize(['a cat', '  A   CATs '])), [2, 4, 5, 3, 0, 0, 2, 4, 5, 7, 3, 0]);
  assert.equal(tok.truncated('a cat'), false);
});

test('BertTokenizer: a long text keeps [SEP] last and says it was cut', () => {
  const tok = new BertTokenizer(BERT, 5);
  assert.deepEqual(Array.from(tok.tokenize(['a red cat on a cat'])), [2, 4, 6, 5, 3]);
  assert.equal(tok.truncated('a red cat on a cat'), true);
  assert.equal(tok.truncated('a red cat'), false);
});
