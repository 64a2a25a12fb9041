// The parameter table of timm's VisionTransformer: every learned tensor a config implies, in
// timm's state_dict order, with its name (timm's checkpoint key), its shape, and whether it is a
// Linear (prepared by the backend) or a plain vector. This one table drives the checkpoint check
// (expectedTensors), the parameter count, the memory plan and the reading of the weights.

import { tokensOf, type VitConfig } from './config.js';

export type Shape = readonly number[];

/** A Linear layer `${module}.weight` [outDim][inDim] (+ `${module}.bias` [outDim]). */
export interface LinearParameter {
  readonly kind: 'linear';
  readonly module: string;
  readonly outDim: number;
  readonly inDim: number;
  readonly bias: boolean;
  /** The weight's shape as stored: [outDim, inDim], or the patch conv's [D, C, P, P] (the same numbers in the same order). */
  readonly weightShape: Shape;
}

/** A tensor used as it is: class token, position embedding, LayerNorm weights and biases. */
export interface VectorParameter {
  readonly kind: 'vector';
  readonly name: string;
  readonly shape: Shape;
}

export type Parameter = LinearParameter | VectorParameter;

const linear = (module: string, outDim: number, inDim: number, bias = true, weightShape: Shape = [outDim, inDim]): LinearParameter => ({
  kind: 'linear',
  module,
  outDim,
  inDim,
  bias,
  weightShape,
});
const vector = (name: string, shape: Shape): VectorParameter => ({ kind: 'vector', name, shape });

/** Every parameter of a timm ViT, in timm's state_dict order. */
export function vitParameters(config: VitConfig): Parameter[] {
  const { embedDim: D, inChans: C, patchSize: P, numClasses, mlpHiddenDim: H } = config;
  const params: Parameter[] = [
    vector('cls_token', [1, 1, D]),
    vector('pos_embed', [1, tokensOf(config), D]),
    linear('patch_embed.proj', D, C * P * P, true, [D, C, P, P]),
  ];
  for (let i = 0; i < config.depth; i++) {
    const b = `blocks.${i}`;
    params.push(
      vector(`${b}.norm1.weight`, [D]),
      vector(`${b}.norm1.bias`, [D]),
      linear(`${b}.attn.qkv`, 3 * D, D, config.qkvBias),
      linear(`${b}.attn.proj`, D, D),
      vector(`${b}.norm2.weight`, [D]),
      vector(`${b}.norm2.bias`, [D]),
      linear(`${b}.mlp.fc1`, H, D),
      linear(`${b}.mlp.fc2`, D, H),
    );
  }
  params.push(vector('norm.weight', [D]), vector('norm.bias', [D]));
  if (numClasses > 0) params.push(linear('head', numClasses, D)); // timm's num_classes=0: nn.Identity, no tensors
  return params;
}

/** Every tensor of a timm ViT checkpoint (name -> shape), in timm's state_dict order. */
export function expectedTensors(config: VitConfig): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const p of vitParameters(config)) {
    if (p.kind === 'vector') {
      shapes.set(p.name, p.shape);
    } else {
      shapes.set(`${p.module}.weight`, p.weightShape);
      if (p.bias) shapes.set(`${p.module}.bias`, [p.outDim]);
    }
  }
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
