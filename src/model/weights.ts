// timm's checkpoint layout for VisionTransformer: the name and exact shape of every tensor a
// config implies, checked all at once before any compute, and the parameter count.

import { tokensOf, type VitConfig } from './config.js';

export type Shape = readonly number[];

/** Every tensor of a timm ViT checkpoint, in timm's state_dict order, with its shape. */
export function expectedTensors(config: VitConfig): Map<string, Shape> {
  const { embedDim: D, inChans: C, patchSize: P, numClasses, mlpHiddenDim: H } = config;
  const shapes = new Map<string, Shape>([
    ['cls_token', [1, 1, D]],
    ['pos_embed', [1, tokensOf(config), D]],
    ['patch_embed.proj.weight', [D, C, P, P]],
    ['patch_embed.proj.bias', [D]],
  ]);
  for (let i = 0; i < config.depth; i++) {
    const b = `blocks.${i}`;
    shapes.set(`${b}.norm1.weight`, [D]);
    shapes.set(`${b}.norm1.bias`, [D]);
    shapes.set(`${b}.attn.qkv.weight`, [3 * D, D]);
    if (config.qkvBias) shapes.set(`${b}.attn.qkv.bias`, [3 * D]);
    shapes.set(`${b}.attn.proj.weight`, [D, D]);
    shapes.set(`${b}.attn.proj.bias`, [D]);
    shapes.set(`${b}.norm2.weight`, [D]);
    shapes.set(`${b}.norm2.bias`, [D]);
    shapes.set(`${b}.mlp.fc1.weight`, [H, D]);
    shapes.set(`${b}.mlp.fc1.bias`, [H]);
    shapes.set(`${b}.mlp.fc2.weight`, [D, H]);
    shapes.set(`${b}.mlp.fc2.bias`, [D]);
  }
  shapes.set('norm.weight', [D]);
  shapes.set('norm.bias', [D]);
  shapes.set('head.weight', [numClasses, D]);
  shapes.set('head.bias', [numClasses]);
  return shapes;
}

/** Number of learned parameters (ViT-B/16-384: 86,859,496, as timm counts them). */
export function countParameters(config: VitConfig): number {
  let total = 0;
  for (const shape of expectedTensors(config).values()) total += numel(shape);
  return total;
}

export function numel(shape: Shape): number {
  return shape.reduce((n, d) => n * d, 1);
}

export class WeightsError extends Error {
  override name = 'WeightsError';
  constructor(
    message: string,
    readonly missing: readonly string[] = [],
    readonly unexpected: readonly string[] = [],
    readonly misshaped: readonly string[] = [],
  ) {
    super(message);
  }
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16']);
/** How many names of each kind to print before summarising ("... and 140 more"). */
const LIST_LIMIT = 12;

/**
 * Compare a checkpoint's tensors with what `config` needs. Reports every missing, unexpected
 * and mis-shaped tensor (and any non-float dtype) in one error, before anything is computed.
 */
export function checkCheckpoint(
  config: VitConfig,
  found: ReadonlyMap<string, { readonly shape: Shape; readonly dtype: string }>,
  source: string,
  modelDescription: string,
): void {
  checkTensors(expectedTensors(config), found, source, modelDescription);
}

/**
 * The same check against an explicit name -> shape expectation: lets a checkpoint stored under
 * another layout's names be checked (and reported) under its own names.
 */
export function checkTensors(
  expected: ReadonlyMap<string, Shape>,
  found: ReadonlyMap<string, { readonly shape: Shape; readonly dtype: string }>,
  source: string,
  modelDescription: string,
): void {
  const missing = [...expected.keys()].filter((k) => !found.has(k));
  const unexpected = [...found.keys()].filter((k) => !expected.has(k));
  const misshaped: string[] = [];
  const badDtype: string[] = [];
  for (const [name, shape] of expected) {
    const tensor = found.get(name);
    if (tensor === undefined) continue;
    if (!sameShape(tensor.shape, shape)) misshaped.push(`${name}: expected [${shape.join(', ')}], found [${tensor.shape.join(', ')}]`);
    if (!FLOAT_DTYPES.has(tensor.dtype)) badDtype.push(`${name}: ${tensor.dtype}`);
  }
  if (missing.length + unexpected.length + misshaped.length + badDtype.length === 0) return;

  const parts: string[] = [];
  if (missing.length > 0) parts.push(`missing ${missing.length}: ${listSome(missing)}`);
  if (unexpected.length > 0) parts.push(`unexpected ${unexpected.length}: ${listSome(unexpected)}`);
  if (misshaped.length > 0) parts.push(`wrong shape ${misshaped.length}: ${listSome(misshaped)}`);
  if (badDtype.length > 0) parts.push(`not F32/F16/BF16: ${listSome(badDtype)}`);
  throw new WeightsError(
    `${source}: the checkpoint does not match ${modelDescription}: ${parts.join('; ')}`,
    missing,
    unexpected,
    misshaped,
  );
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function listSome(items: string[]): string {
  const shown = items.slice(0, LIST_LIMIT).join(', ');
  return items.length > LIST_LIMIT ? `${shown}, ... and ${items.length - LIST_LIMIT} more` : shown;
}
