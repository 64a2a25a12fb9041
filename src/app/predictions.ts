// From logits to ranked predictions: softmax probabilities and the top k classes.

export interface Prediction {
  /** 1 = most probable. */
  rank: number;
  /** Class index in the model's output. */
  index: number;
  label: string;
  /** Softmax probability in [0, 1]. */
  probability: number;
  /** The raw logit. */
  logit: number;
}

/** Top `k` classes of one image's logits, most probable first (ties: lower index first). */
export function topPredictions(logits: Float32Array, labels: readonly string[], k: number): Prediction[] {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return topIndices(logits, k).map((index, r) => ({
    rank: r + 1,
    index,
    label: labels[index] ?? `class ${index}`,
    probability: Math.exp(logits[index] - max) / sum,
    logit: logits[index],
  }));
}

/** Indices of the `k` largest values, largest first (ties: lower index first). */
export function topIndices(values: Float32Array, k: number): number[] {
  return [...values.keys()].sort((i, j) => values[j] - values[i] || i - j).slice(0, Math.min(k, values.length));
}
