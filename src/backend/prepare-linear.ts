// One Linear layer placed, packed and wholly written in one call, on any backend: what a test or a
// benchmark that builds a single layer wants. A model instead places all of its weights first and
// packs them as it reads them (vit/weights.ts), so that its weight bytes are one region.

import type { Arena, Backend, LinearWeights } from './types.js';

/**
 * `fill(dest)` writes the weight, PyTorch layout [outDim][inDim], into `dest` (the backend chooses
 * where: straight into its final place, or into scratch before repacking). `bias` is [outDim] or
 * null (no bias = zeros).
 */
export function prepareLinear(
  backend: Backend,
  arena: Arena,
  outDim: number,
  inDim: number,
  fill: (dest: Float32Array) => void,
  bias: Float32Array | null,
): LinearWeights {
  const w = backend.placeLinear(arena, outDim, inDim, bias !== null);
  backend.packLinear(w, fill, bias);
  backend.finishPacking();
  return w;
}
