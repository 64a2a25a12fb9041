// Shape inference reads a few timm tensors; when one is absent from a non-timm checkpoint, say
// which STORED tensor is missing (inferFromShapes itself can only name timm's).

import { ConfigError } from '../vit/config.js';
import type { Shape } from '../vit/parameters.js';
import type { LayoutDefinition } from './types.js';

/** The timm tensors inferFromShapes reads. */
const READ_BY_INFERENCE = ['patch_embed.proj.weight', 'pos_embed', 'blocks.0.attn.qkv.weight', 'blocks.0.mlp.fc1.weight', 'head.weight'];

export function requireInferenceTensors(naming: LayoutDefinition, timmShapes: ReadonlyMap<string, Shape>, source: string): void {
  const missing = READ_BY_INFERENCE.filter((name) => !timmShapes.has(name)).flatMap((name) => naming.storedNamesOf(name) ?? [name]);
  if (missing.length > 0) {
    throw new ConfigError(`${source}: cannot infer the architecture from the shapes: missing or mis-shaped ${missing.join(', ')}`);
  }
}
