// `vit explain`: where the class token looked. One image runs through the model with its attention
// probabilities recorded (the backend's own kernels write them, see Backend.attention); from them
// the attention rollout over every block, or one block's (and head's) raw class-token attention,
// as a value per patch (rollout.ts); that grid drawn over the ORIGINAL image through the inverse
// of the resize and crop (geometry.ts), coloured with viridis (colormap.ts), written as PNG.

import { writeFileSync } from 'node:fs';
import { decodeImage, encodePng, type PreprocessGeometry, type RgbImage } from '../../image/index.js';
import { countNonFinite } from '../../util/non-finite.js';
import { prepareImage, type PrepareOptions } from '../prepare.js';
import { outputError } from '../errors.js';
import type { Classifier } from '../load-model.js';
import { overlayHeat, valueRange } from './colormap.js';
import { cropInSource, heatOnSource, type SourceRect } from './geometry.js';
import { ExplainOptionError, NonFiniteAttentionError } from './errors.js';
import type { ExplainTarget } from './rollout.js';

export { ExplainOptionError, NonFiniteAttentionError } from './errors.js';
export { cropInSource, heatOnSource, type SourceRect } from './geometry.js';
export { overlayHeat, viridis } from './colormap.js';
export { addResidual, ClassAttention, rolloutClassRow, type ExplainTarget } from './rollout.js';

/** The heat map's opacity over the image unless told otherwise. */
export const DEFAULT_ALPHA = 0.5;

export interface ExplainOptions extends PrepareOptions {
  /** Rollout over every block (default), or one block's raw class-token attention. */
  target?: ExplainTarget;
}

export interface Explanation {
  target: ExplainTarget;
  /** The patch grid: [rows, cols] (24 x 24 for ViT-B/16 at 384 px). */
  gridSize: [number, number];
  /** The class token's attention to each patch, row-major [rows * cols]: rollout rows sum to 1 with the class token's own share. */
  grid: Float64Array;
  /** How the image was resized and cropped for the model. */
  geometry: PreprocessGeometry;
  /** The crop box in the original image's coordinates (it reaches past the image where the crop padded). */
  crop: SourceRect;
  /** The part of the original image the model saw: the crop box within the image. The rest is drawn as it is. */
  seen: SourceRect;
  /** The grid's largest value, at (row, col), and the grid's mean. */
  peak: { row: number; col: number; value: number };
  mean: number;
  /** The original image, decoded (what the heat map is drawn over). */
  image: RgbImage;
  /** [numClasses]: the forward pass's logits, as classify computes them. */
  logits: Float32Array;
}

/** Throws ExplainOptionError unless `target` names a block and head of a model of this depth and width. */
export function checkTarget(target: ExplainTarget, depth: number, heads: number): void {
  if (target.kind === 'rollout') return;
  const { layer, head } = target;
  if (!Number.isInteger(layer) || layer < 0 || layer >= depth) {
    throw new ExplainOptionError('layer', layer, `the model has ${depth} layer${depth === 1 ? '' : 's'}, numbered 0 to ${depth - 1}`);
  }
  if (head !== undefined && (!Number.isInteger(head) || head < 0 || head >= heads)) {
    throw new ExplainOptionError('head', head, `the model has ${heads} head${heads === 1 ? '' : 's'} per layer, numbered 0 to ${heads - 1}`);
  }
}

/** Throws ExplainOptionError unless alpha is in [0, 1]. */
export function checkAlpha(alpha: number): void {
  if (!(alpha >= 0 && alpha <= 1)) throw new ExplainOptionError('alpha', alpha, 'the opacity must be in [0, 1]');
}

/** Run one image through the model, recording its attention, and reduce it to the patch grid. */
export async function explain(classifier: Classifier, image: string | Uint8Array | RgbImage, options: ExplainOptions = {}): Promise<Explanation> {
  const target = options.target ?? { kind: 'rollout' };
  const { config } = classifier.model;
  checkTarget(target, config.depth, config.numHeads);
  const pixels = typeof image === 'string' || image instanceof Uint8Array ? await decodeImage(image, options.decode) : image;
  const { tensor, geometry } = await prepareImage(classifier, pixels, options);
  const { logits, classAttention: grid } = await classifier.model.forwardExplained(tensor, target);
  const bad = countNonFinite(grid);
  const name = typeof image === 'string' ? image : 'the image';
  if (bad > 0) throw new NonFiniteAttentionError(`${name}: the attention holds ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or infinity) of ${grid.length}: nothing can be drawn`);
  const side = config.imgSize / config.patchSize;
  const crop = cropInSource(geometry);
  let peak = 0;
  for (let i = 1; i < grid.length; i++) if (grid[i] > grid[peak]) peak = i;
  return {
    target,
    gridSize: [side, side],
    grid,
    geometry,
    crop,
    seen: withinImage(crop, pixels.width, pixels.height),
    peak: { row: Math.floor(peak / side), col: peak % side, value: grid[peak] },
    mean: grid.reduce((sum, v) => sum + v, 0) / grid.length,
    image: { width: pixels.width, height: pixels.height, data: pixels.data },
    logits,
  };
}

function withinImage(rect: SourceRect, width: number, height: number): SourceRect {
  const left = Math.max(0, rect.left);
  const top = Math.max(0, rect.top);
  return { left, top, width: Math.min(width, rect.left + rect.width) - left, height: Math.min(height, rect.top + rect.height) - top };
}

/**
 * The original image with the grid drawn over the crop (bilinear, scaled from the grid's smallest
 * to its largest value, viridis, `alpha` opaque); pixels outside the crop are left as they are.
 */
export function renderExplanation(explanation: Explanation, alpha = DEFAULT_ALPHA): RgbImage {
  checkAlpha(alpha);
  const [rows, cols] = explanation.gridSize;
  const heat = heatOnSource(explanation.grid, rows, cols, explanation.geometry);
  return overlayHeat(explanation.image, heat, valueRange(explanation.grid), alpha);
}

/** Render the explanation and write it to `path` as PNG; a failed write is an OutputError (exit 74). */
export async function writeExplanationPng(explanation: Explanation, path: string, alpha = DEFAULT_ALPHA): Promise<void> {
  const bytes = await encodePng(renderExplanation(explanation, alpha));
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw outputError(path, 'the heat map', e);
  }
}
