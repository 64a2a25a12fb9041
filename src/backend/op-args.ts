// The optional arguments of the Backend ops, checked the same way by every backend.

import type { ColumnRange } from './types.js';

/** linear's `columns` when it is a non-empty range within [0, outDim), all columns when it is absent. */
export function resolveColumns(backend: string, columns: ColumnRange | undefined, outDim: number): ColumnRange {
  if (columns === undefined) return { start: 0, end: outDim };
  const { start, end } = columns;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start >= end || end > outDim) {
    throw new RangeError(`${backend} backend: linear columns [${start}, ${end}) are not a non-empty range of outDim ${outDim}`);
  }
  return columns;
}

/** attention's `queries`: a whole number of leading tokens, at least one. */
export function checkQueries(backend: string, queries: number, tokens: number): void {
  if (!Number.isInteger(queries) || queries < 1 || queries > tokens) {
    throw new RangeError(`${backend} backend: attention: bad query count ${queries} for ${tokens} tokens`);
  }
}

/** attention's optional `probs`: room for [batch][heads][queries][tokens] floats. */
export function checkProbs(backend: string, probs: Float32Array | undefined, floats: number): void {
  if (probs !== undefined && probs.length < floats) {
    throw new RangeError(`${backend} backend: attention: probs has ${probs.length} floats, needs ${floats}`);
  }
}
