import {test} from 'node:test';
import assert from 'node:assert/strict';
import {GPU_SLACK, Probe, probeKey, probeMismatch, probeOf} from './probe';

const probe: Probe = {
  atol: 1e-5, rtol: 1e-4,
  inputs: [{name: 'input_0', dtype: 'float32', shape: [1, 2], values: [0.5, -1]}],
  outputs: [{name: 'output_0', shape: [1, 3], values: [10, -2, null]}],
};

test('matching outputs pass, within the build tolerance plus the GPU slack', () => {
  const slack = GPU_SLACK * 10;  // the output's scale is max(1, max |jax|) = 10
  assert.equal(probeMismatch(probe, [{shape: [1, 3], values: [10 + slack * 0.9, -2, NaN]}]), '');
  assert.equal(probeMismatch(probe, [{shape: [1, 3], values: [10, -2, Infinity]}]), '');
});

test('a wrong value, shape, count or NaN placement is named', () => {
  assert.match(probeMismatch(probe, [{shape: [1, 3], values: [10.1, -2, NaN]}]), /output_0\[0\] is 10.1000 where JAX gave 10.0000/);
  assert.match(probeMismatch(probe, [{shape: [3], values: [10, -2, NaN]}]), /shape \[3\] instead of \[1,3\]/);
  assert.match(probeMismatch(probe, []), /0 outputs instead of 1/);
  assert.match(probeMismatch(probe, [{shape: [1, 3], values: [10, NaN, NaN]}]), /output_0\[1\] is NaN where JAX gave -2/);
  assert.match(probeMismatch(probe, [{shape: [1, 3], values: [10, -2, 0]}]), /output_0\[2\] is 0 where JAX gave NaN\/Inf/);
  // float16 textures on a phone: every value a little off is fine, garbage (zeros) is not
  assert.match(probeMismatch(probe, [{shape: [1, 3], values: [0, 0, NaN]}]), /output_0\[0\] is 0.00000/);
});

test('the key changes with the backend and the probe', () => {
  assert.notEqual(probeKey('webgl', probe), probeKey('webgpu', probe));
  const other = {...probe, outputs: [{...probe.outputs[0], values: [10, -2.5, null]}]};
  assert.notEqual(probeKey('webgl', probe), probeKey('webgl', other));
  assert.equal(probeKey('webgl', probe), probeKey('webgl', JSON.parse(JSON.stringify(probe))));
});

test('probeOf reads userDefinedMetadata.probe and ignores anything else', () => {
  assert.equal(probeOf(undefined), null);
  assert.equal(probeOf({backends: ['wasm']}), null);
  assert.equal(probeOf({probe: {inputs: 'x'}}), null);
  assert.deepEqual(probeOf({probe}), probe);
});
