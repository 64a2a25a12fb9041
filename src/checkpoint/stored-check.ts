// Checking a checkpoint against a config under the checkpoint's OWN names: timm's expected
// tensors are translated to the layout's stored names (a fused tensor to its parts, each with
// its share of dim 0), then compared with what is stored. So every message names tensors as
// the user's file does, every problem is reported at once, and a clean check means each
// stored tensor is used exactly once.

import type { VitConfig } from '../vit/config.js';
import { expectedTensors, type Shape } from '../vit/parameters.js';
import { checkTensors } from './tensor-check.js';
import type { LayoutDefinition, TensorSummary } from './types.js';

/** The stored tensors (name -> shape) a config needs in this layout. */
export function expectedStoredTensors(naming: LayoutDefinition, config: VitConfig): Map<string, Shape> {
  const expected = new Map<string, Shape>();
  for (const [timmName, shape] of expectedTensors(config)) {
    const parts = naming.storedNamesOf(timmName);
    if (parts === undefined) throw new Error(`${naming.layout} layout: no stored name for ${timmName}`);
    const partShape = [shape[0] / parts.length, ...shape.slice(1)];
    for (const part of parts) {
      // Two timm tensors read from one stored tensor would be a broken rename table, not a user error.
      if (expected.has(part)) throw new Error(`${naming.layout} layout: ${part} is mapped twice`);
      expected.set(part, partShape);
    }
  }
  return expected;
}

/** Throws a WeightsError listing every missing, unexpected and mis-shaped stored tensor. */
export function checkStoredTensors(
  naming: LayoutDefinition,
  config: VitConfig,
  stored: ReadonlyMap<string, TensorSummary>,
  source: string,
  modelDescription: string,
): void {
  checkTensors(expectedStoredTensors(naming, config), stored, source, modelDescription);
}
