// The four Linear shapes of a ViT-B/16-384 block at batch 1 (577 tokens), with the model's
// epilogues, and their seeded random operands placed on a backend.

import { prepareLinear } from '../dist/backend/prepare-linear.js';
import { randomFloats } from './stats.mjs';

export const LINEAR_SHAPES = [
  { name: 'qkv', rows: 577, outDim: 2304, inDim: 768 },
  { name: 'proj', rows: 577, outDim: 768, inDim: 768 },
  { name: 'fc1', rows: 577, outDim: 3072, inDim: 768, gelu: true },
  { name: 'fc2', rows: 577, outDim: 768, inDim: 3072, residual: true },
];

/** The shape's seeded weight, bias and input. */
export function shapeData({ rows, outDim, inDim }) {
  return { weight: randomFloats(outDim * inDim, 1, 0.03), bias: randomFloats(outDim, 2, 0.01), xData: randomFloats(rows * inDim, 3) };
}

/**
 * The Linear of `shape` prepared on `backend` with `data`, and `run()` calling it with the
 * model's epilogue (residual in place, as the model does: `out` keeps growing, which is fine
 * for timing).
 */
export function placeShape(backend, { rows, outDim, inDim, gelu = false, residual = false }, { weight, bias, xData }) {
  const arena = backend.createArena(backend.linearFloats(outDim, inDim) * 4 + (rows * inDim + rows * outDim) * 4 + 4096);
  const w = prepareLinear(backend, arena, outDim, inDim, (dest) => dest.set(weight), bias);
  const x = arena.allocF32(rows * inDim);
  x.set(xData);
  const out = arena.allocF32(rows * outDim);
  const epilogue = { gelu, residual: residual ? out : undefined };
  return { w, x, out, run: () => backend.linear(out, x, w, rows, epilogue) };
}
