import assert from 'node:assert/strict';
import {test} from 'node:test';

import type {TokenizerSpec, Vocabulary} from './formats';
import {fetchTokenizerSpec, parseTokenizerSpec} from './model';

const URL_ = 'http://localhost/data/models/tiny/tokenizer.json';
const VOCAB: Vocabulary = [['<pad>', 0], ['</s>', 0], ['<unk>', 0], ['▁a', -1]];
const SPEC: TokenizerSpec = {
  model_type: 'BPE', unk_id: 2, eos_id: 1, bos_id: -1, pad_id: 0, control_ids: [0, 1], user_defined_ids: [],
  normalizer: {precompiled_charsmap: '', add_dummy_prefix: true, remove_extra_whitespaces: true,
    escape_whitespaces: true},
};
const REBUILD = 'rebuild the site (python -m builders.build) to write it again';

const answer = (status: number, body = '') => async () => new Response(body, {status});

test('a valid tokenizer.json is used as it is', async () => {
  assert.deepEqual(await fetchTokenizerSpec(URL_, VOCAB, answer(200, JSON.stringify(SPEC))),
    {spec: SPEC, warning: null});
});

test('a missing tokenizer.json (the original demo data) falls back to the defaults, with a warning', async () => {
  const {spec, warning} = await fetchTokenizerSpec(URL_, VOCAB, answer(404));
  assert.equal(spec, null);
  assert.equal(warning, `${URL_} not found (HTTP 404): tokenizing with the original LiT demo's defaults, which ` +
    'match Python only for plain lower-case text; rebuild the site to publish tokenizer.json');
});

test('a malformed tokenizer.json is an error, not the defaults', async () => {
  await assert.rejects(fetchTokenizerSpec(URL_, VOCAB, answer(200, '{"model_type": "BPE",')),
    (err: Error) => err.message.startsWith(`${URL_} is not valid JSON (`) && err.message.endsWith(REBUILD));
  await assert.rejects(fetchTokenizerSpec(URL_, VOCAB, answer(200, '[]')),
    {message: `${URL_} must hold a JSON object, got []; ${REBUILD}`});
  await assert.rejects(fetchTokenizerSpec(URL_, VOCAB, answer(500, 'oops')),
    {message: `could not fetch ${URL_}: HTTP 500`});
  await assert.rejects(fetchTokenizerSpec(URL_, VOCAB, async () => { throw new TypeError('Failed to fetch'); }),
    {message: `could not fetch ${URL_} (Failed to fetch); a data folder on another origin must send ` +
      'Access-Control-Allow-Origin'});
});

test('every field is checked against the vocabulary', () => {
  const bad = (change: object) => () => parseTokenizerSpec(JSON.stringify({...SPEC, ...change}), URL_, VOCAB.length);
  assert.throws(bad({model_type: 'WORD'}),
    {message: `${URL_}: model_type must be "BPE" or "UNIGRAM", got "WORD"; ${REBUILD}`});
  assert.throws(bad({eos_id: 4}),
    {message: `${URL_}: eos_id must be an integer id in [0, 4) (the vocabulary's size), got 4; ${REBUILD}`});
  assert.throws(bad({unk_id: undefined}),
    {message: `${URL_}: unk_id must be an integer id in [0, 4) (the vocabulary's size), got undefined; ${REBUILD}`});
  assert.throws(bad({bos_id: -2}), /bos_id must be an integer id in \[-1, 4\)/);
  assert.throws(bad({control_ids: [0, 1.5]}), /control_ids must be a list of integer ids in \[0, 4\), got \[0,1.5\]/);
  assert.throws(bad({normalizer: null}), {message: `${URL_}: normalizer must be an object, got null; ${REBUILD}`});
  assert.throws(bad({normalizer: {...SPEC.normalizer, escape_whitespaces: 'yes'}}),
    {message: `${URL_}: normalizer.escape_whitespaces must be true or false, got "yes"; ${REBUILD}`});
  assert.deepEqual(parseTokenizerSpec(JSON.stringify({...SPEC, bos_id: -1, pad_id: -1}), URL_, 4).pad_id, -1);
});
