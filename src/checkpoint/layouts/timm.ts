// timm's own layout: names are already timm's, so every stored tensor is placed as itself (a
// name the config does not expect is then reported as unexpected by the check). Resolution, in
// order of authority: the config.json the caller found (--config, else beside the weights), else
// the named model (an explicit --model, or the hub id's), else the tensor shapes.

import { ConflictError } from '../../vit/config.js';
import { inferFromShapes, resolveFromTimmConfig } from '../timm-config.js';
import type { CheckpointModel, LayoutDefinition, ResolveContext } from '../types.js';

// Top-level names of timm's VisionTransformer, including those of variants the model does not
// run (fc_norm, reg_token, ...): they still identify the checkpoint as timm's.
const TIMM_ROOTS = new Set([
  'cls_token',
  'reg_token',
  'dist_token',
  'pos_embed',
  'patch_embed',
  'norm_pre',
  'blocks',
  'norm',
  'fc_norm',
  'attn_pool',
  'head',
  'head_dist',
]);

export const timmNaming: LayoutDefinition = {
  layout: 'timm',
  owns: (storedName) => TIMM_ROOTS.has(storedName.split('.')[0]),
  storedNamesOf: (timmName) => [timmName],
  place: (storedName) => ({ timmName: storedName, part: 0, parts: 1 }),
  refuseUnsupported: () => {},
  resolve: resolveTimm,
};

function resolveTimm(context: ResolveContext): CheckpointModel {
  const { config, named, numHeads } = context;
  if (config !== undefined) {
    const r = resolveFromTimmConfig(config.json, config.path, context.shapes, numHeads);
    const from = config.origin;
    return {
      ...r,
      layout: 'timm',
      provenance: {
        architecture: from,
        heads: r.headsFrom === config.path ? from : r.headsFrom,
        preprocessing: r.preprocessFrom.startsWith(config.path) ? `${from} (pretrained_cfg)` : r.preprocessFrom,
      },
    };
  }
  if (named !== undefined) {
    const model = named.model;
    if (numHeads !== undefined && numHeads !== model.config.numHeads) {
      throw new ConflictError(`--heads ${numHeads} contradicts ${named.origin} (${model.name} has ${model.config.numHeads} heads); drop one of them`);
    }
    return {
      name: model.name,
      config: model.config,
      preprocess: model.preprocess,
      layout: 'timm',
      notes: [],
      provenance: { architecture: named.origin, heads: named.origin, preprocessing: named.origin },
    };
  }
  const r = inferFromShapes(context.shapes, context.source, numHeads);
  return { ...r, layout: 'timm', provenance: { architecture: 'the tensor shapes', heads: r.headsFrom, preprocessing: r.preprocessFrom } };
}
