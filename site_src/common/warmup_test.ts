import {test} from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {warmUp} from './warmup';

/** A real TF.js graph model, x [-1, 3] -> relu(x), built in memory (no file needed). */
async function reluModel(): Promise<tf.GraphModel> {
  const shape = {dim: [{size: '-1'}, {size: '3'}]};
  const topology = {
    node: [
      {name: 'x', op: 'Placeholder', attr: {dtype: {type: 'DT_FLOAT'}, shape: {shape}}},
      {name: 'y', op: 'Relu', input: ['x'], attr: {T: {type: 'DT_FLOAT'}}},
    ],
    versions: {producer: 1},
  };
  return tf.loadGraphModel(tf.io.fromMemory({modelTopology: topology, weightSpecs: [],
    weightData: new ArrayBuffer(0), format: 'graph-model'}));
}

test('warmUp runs the model on zeros shaped like its inputs and leaks no tensor', async () => {
  await tf.setBackend('cpu');
  const model = await reluModel();
  const before = tf.memory().numTensors;
  let seen: number[] | undefined;
  const execute = model.execute.bind(model);
  model.execute = ((inputs: tf.NamedTensorMap, outputs?: string[]) => {
    seen = (inputs as tf.NamedTensorMap).x.shape;
    return execute(inputs, outputs);
  }) as typeof model.execute;
  const ms = await warmUp(model);
  assert.ok(ms >= 0);
  assert.deepEqual(seen, [1, 3]); // the unknown batch became 1
  assert.equal(tf.memory().numTensors, before);
});

test('warmUp uses the given inputs and leaves them to the caller', async () => {
  await tf.setBackend('cpu');
  const model = await reluModel();
  const x = tf.ones([5, 3]);
  const before = tf.memory().numTensors;
  await warmUp(model, {x});
  assert.equal(tf.memory().numTensors, before);
  assert.equal(x.isDisposed, false);
  x.dispose();
});
