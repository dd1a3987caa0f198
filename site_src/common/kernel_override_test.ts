import {test} from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {fastKernelsActive, overrideKernels, useFastKernels} from './kernel_override';

test('useFastKernels(backend, false) sends every case to the backend\'s own kernel, and back', async () => {
  await tf.setBackend('cpu');
  let calls = 0;
  // A fast kernel that only counts and declines: the original computes the result either way.
  assert.deepEqual(overrideKernels('cpu', {Neg: () => { calls++; return null; }}), ['Neg']);
  assert.equal(fastKernelsActive('cpu'), true);
  assert.deepEqual(Array.from(tf.neg(tf.tensor1d([1, -2])).dataSync()), [-1, 2]);
  assert.equal(calls, 1);
  useFastKernels('cpu', false);
  assert.equal(fastKernelsActive('cpu'), false);
  assert.deepEqual(Array.from(tf.neg(tf.tensor1d([3])).dataSync()), [-3]);
  assert.equal(calls, 1);
  useFastKernels('cpu', true);
  tf.neg(tf.tensor1d([3])).dataSync();
  assert.equal(calls, 2);
  assert.equal(fastKernelsActive('wasm'), false);  // nothing registered for it here
});
