// The optional output-column range of Backend.linear, checked the same way by every backend.

import type { ColumnRange } from './types.js';

/** `columns` when it is a non-empty range within [0, outDim), all columns when it is absent. */
export function resolveColumns(backend: string, columns: ColumnRange | undefined, outDim: number): ColumnRange {
  if (columns === undefined) return { start: 0, end: outDim };
  const { start, end } = columns;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start >= end || end > outDim) {
    throw new RangeError(`${backend} backend: linear columns [${start}, ${end}) are not a non-empty range of outDim ${outDim}`);
  }
  return columns;
}
