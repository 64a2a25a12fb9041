// A checkpoint seen under timm's names: what the shape inference and the timm config.json
// resolution consume. A timm tensor appears only when all its stored parts are present with
// agreeing shapes (incomplete ones are left out here and reported by the check, by their
// stored names); stored tensors the layout cannot place do not appear.

import { numel, type Shape } from '../vit/parameters.js';
import type { LayoutDefinition, TensorSummary } from './types.js';

export interface TimmTensor extends TensorSummary {
  readonly numel: number;
}

export function timmView(naming: LayoutDefinition, stored: ReadonlyMap<string, TensorSummary>): Map<string, TimmTensor> {
  const partsByName = new Map<string, (TensorSummary | undefined)[]>();
  for (const [storedName, tensor] of stored) {
    const placement = naming.place(storedName);
    if (placement === undefined) continue;
    const parts = partsByName.get(placement.timmName) ?? new Array<TensorSummary | undefined>(placement.parts).fill(undefined);
    parts[placement.part] = tensor;
    partsByName.set(placement.timmName, parts);
  }
  const view = new Map<string, TimmTensor>();
  for (const [timmName, parts] of partsByName) {
    const joined = concatenated(parts);
    if (joined !== undefined) view.set(timmName, joined);
  }
  return view;
}

/** The same view, shapes only: what architecture resolution takes. */
export function timmShapes(naming: LayoutDefinition, storedShapes: ReadonlyMap<string, Shape>): Map<string, Shape> {
  const summaries = new Map([...storedShapes].map(([name, shape]) => [name, { shape, dtype: '' }]));
  return new Map([...timmView(naming, summaries)].map(([name, tensor]) => [name, tensor.shape]));
}

/** The tensor the parts make stacked along dim 0, or undefined if a part is missing or does not fit. */
function concatenated(parts: readonly (TensorSummary | undefined)[]): TimmTensor | undefined {
  if (parts.some((p) => p === undefined)) return undefined;
  const present = parts as readonly TensorSummary[];
  const [first] = present;
  if (present.length === 1) return { shape: first.shape, dtype: first.dtype, numel: numel(first.shape) };
  const trailing = (shape: Shape) => shape.slice(1).join(',');
  if (first.shape.length === 0 || present.some((p) => p.shape.length !== first.shape.length || trailing(p.shape) !== trailing(first.shape))) {
    return undefined;
  }
  const shape = [present.reduce((rows, p) => rows + p.shape[0], 0), ...first.shape.slice(1)];
  const dtypes = [...new Set(present.map((p) => p.dtype))];
  return { shape, dtype: dtypes.join('+'), numel: numel(shape) };
}
