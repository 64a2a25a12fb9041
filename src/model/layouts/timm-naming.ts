// timm's own layout: names are already timm's, so every stored tensor is placed as itself (a
// name the config does not expect is then reported as unexpected by the check, as before).

import type { LayoutNaming } from './types.js';

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

export const timmNaming: LayoutNaming = {
  layout: 'timm',
  owns: (storedName) => TIMM_ROOTS.has(storedName.split('.')[0]),
  storedNamesOf: (timmName) => [timmName],
  place: (storedName) => ({ timmName: storedName, part: 0, parts: 1 }),
  refuseUnsupported: () => {},
};
