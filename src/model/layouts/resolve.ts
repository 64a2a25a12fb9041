// Architecture resolution for the layouts other than timm's (whose precedence lives in
// load.ts): each from its own kind of config, seeing the checkpoint under timm's names.

import type { ResolvedModel } from '../resolve-config.js';
import type { Shape } from '../weights.js';
import type { LayoutResolveOptions } from './resolve-options.js';
import { timmShapes } from './timm-view.js';
import { resolveTorchvision } from './torchvision-resolve.js';
import { resolveTransformers } from './transformers-resolve.js';
import type { LayoutNaming } from './types.js';

export function resolveOtherLayout(
  naming: LayoutNaming,
  weightsPath: string,
  storedShapes: ReadonlyMap<string, Shape>,
  options: LayoutResolveOptions,
): ResolvedModel {
  const shapes = timmShapes(naming, storedShapes);
  switch (naming.layout) {
    case 'transformers':
      return resolveTransformers(weightsPath, shapes, options);
    case 'torchvision':
      return resolveTorchvision(weightsPath, shapes, options);
    case 'timm':
      throw new Error('timm checkpoints are resolved by load.ts (config.json > named model > shapes)');
  }
}
