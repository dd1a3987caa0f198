/**
 * The model's inputs for one example, from the components' values; pure logic (no TF.js, no DOM).
 *
 * Each input component is one model input with a batch axis of 1 in front, except when the spec
 * says `stacked`: then every (scalar) input goes, in order, into one float32 `(1, n)` vector
 * (builders/app/inputs.py documents the same rule on the Python side).
 */
import {InputValue, SpecValue} from '../components/types';

export interface ModelInputSpec {
  name: string;
  shape: number[];  // -1 for the batch axis
  dtype: 'float32' | 'int32';
}

export interface Feed {
  name: string;
  data: Float32Array | Int32Array;
  shape: number[];
}

function typed(values: ArrayLike<number>, dtype: ModelInputSpec['dtype']): Float32Array | Int32Array {
  return dtype === 'int32' ? Int32Array.from(values, Math.round) : Float32Array.from(values);
}

/** One feed per model input, batch size 1; throws when a value does not fit its input's shape. */
export function buildFeeds(values: readonly InputValue[], stacked: boolean, inputs: readonly ModelInputSpec[]): Feed[] {
  const columns: ArrayLike<number>[] = stacked
    ? [values.map((v) => (typeof v === 'number' ? v : Number.NaN))]
    : values.map((v) => (typeof v === 'number' ? [v] : v));
  if (columns.length !== inputs.length) {
    throw new Error(`the model takes ${inputs.length} inputs, the page has ${columns.length}`);
  }
  return inputs.map((input, i) => {
    const shape = [1, ...input.shape.slice(1)];
    const size = shape.reduce((a, b) => a * b, 1);
    if (columns[i].length !== size) {
      throw new Error(`input ${input.name} takes ${size} numbers, got ${columns[i].length}`);
    }
    return {name: input.name, data: typed(columns[i], input.dtype), shape};
  });
}

/** Largest absolute difference between two equally long lists of numbers (Infinity if the lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Whether the components' values are exactly an example's (as the spec holds it). */
export function sameValues(values: readonly InputValue[], example: readonly SpecValue[]): boolean {
  return values.length === example.length && values.every((v, i) => {
    const e = example[i];
    if (typeof v === 'number') return Math.fround(v) === Math.fround(Number(e));
    return Array.isArray(e) && maxAbsDiff(v, e.map(Math.fround)) === 0;
  });
}
