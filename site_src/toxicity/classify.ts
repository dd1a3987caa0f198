/** The result shape and match rule of `@tensorflow-models/toxicity`, shared by both model sources. */

export interface LabelResult {
  /** [p_false, p_true] for one input text. */
  probabilities: Float32Array;
  /** `null` unless max(p) > threshold; then whether p_true > p_false. */
  match: boolean | null;
}

export interface LabelPrediction {
  label: string;
  results: LabelResult[];
}

/** The article's rule: a confident prediction either way, or `null` when unsure. */
export function matchOf(probabilities: ArrayLike<number>, threshold: number): boolean | null {
  const [pFalse, pTrue] = [probabilities[0], probabilities[1]];
  return Math.max(pFalse, pTrue) > threshold ? pTrue > pFalse : null;
}

/**
 * Predictions for the selected labels, in model order. `outputs[i]` holds the model's
 * `[texts, 2]` probabilities for `modelLabels[i]`, row-major.
 */
export function toPredictions(modelLabels: string[], outputs: Float32Array[], selected: string[],
  count: number, threshold: number): LabelPrediction[] {
  const predictions: LabelPrediction[] = [];
  modelLabels.forEach((label, head) => {
    if (!selected.includes(label)) return;
    const data = outputs[head];
    const results: LabelResult[] = [];
    for (let i = 0; i < count; i++) {
      const probabilities = data.slice(2 * i, 2 * i + 2);
      results.push({probabilities, match: matchOf(probabilities, threshold)});
    }
    predictions.push({label, results});
  });
  return predictions;
}

/** Labels to check: all when `requested` is empty; throws naming any label the model lacks. */
export function selectLabels(modelLabels: string[], requested: string[] = []): string[] {
  if (requested.length === 0) return [...modelLabels];
  const unknown = requested.filter((l) => !modelLabels.includes(l));
  if (unknown.length) {
    throw new Error(`unknown label(s) ${unknown.join(', ')}; this model has: ${modelLabels.join(', ')}`);
  }
  return [...requested];
}

/** Whether any selected label matched text `index` (what the guestbook rejects). */
export function isFlagged(predictions: LabelPrediction[], index = 0): boolean {
  return predictions.some((p) => p.results[index]?.match === true);
}

/** Validate a threshold from the page or a caller. */
export function checkThreshold(threshold: number): number {
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`threshold must be a number in [0, 1], got ${threshold}`);
  return threshold;
}
