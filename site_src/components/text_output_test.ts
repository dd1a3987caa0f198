import {test} from 'node:test';
import assert from 'node:assert/strict';
import {argmax, decode} from './text_output';

test('argmax takes the first of the largest finite scores', () => {
  assert.equal(argmax([0.1, 3, 3, Number.NaN]), 1);
  assert.equal(argmax([Number.NaN]), -1);
});

test('names: the best score names the text', () => {
  assert.deepEqual(decode({mode: 'argmax', names: ['cat', 'dog']}, [0.2, 0.9]), {text: 'dog', problem: ''});
});

test('tokens: ids decode through the vocabulary, skipped tokens left out', () => {
  const spec = {mode: 'tokens' as const, vocab: ['<pad>', 'hello', 'world'], skip: ['<pad>'], separator: ' '};
  assert.deepEqual(decode(spec, Float32Array.from([1, 2, 0, 0])), {text: 'hello world', problem: ''});
});

test('tokens: an id outside the vocabulary is reported, not dropped', () => {
  const result = decode({mode: 'tokens', vocab: ['a', 'b'], separator: ''}, [0, 7, 1.5, -1]);
  assert.equal(result.text, 'a\uFFFD\uFFFD\uFFFD');
  assert.match(result.problem, /^3 ids are not in the vocabulary of 2 tokens \(0 to 1\): 7 at position 1, 1\.5 at position 2, -1 at position 3\.$/);
});
