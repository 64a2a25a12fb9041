// `vit models`: the named models (the one table, vit/named-models.ts), each with its size, its
// default tag's hub repository, and whether that checkpoint is already in the hub cache. The
// cache is only looked at (offline: no network, nothing written).

import { ensureModelFiles, isHubError, type HubOptions } from '../hub/index.js';
import { DEFAULT_MODEL, NAMED_MODELS } from '../vit/named-models.js';
import { countParameters } from '../vit/parameters.js';
import { resolveModelId } from './model-ids.js';

export interface ModelListing {
  name: string;
  /** Learned parameters of the default tag's checkpoint (as timm counts them). */
  parameters: number;
  /** Input side in pixels, and the patch side. */
  imageSize: number;
  patchSize: number;
  /** The default tag, its hub repository, and its classifier size (0: no head, a feature extractor). */
  tag: string;
  repo: string;
  classes: number;
  /** That checkpoint's weights are in the hub cache (usable offline). */
  cached: boolean;
  /** The model used when none is named. */
  isDefault: boolean;
}

export async function listModels(hub: HubOptions = {}): Promise<ModelListing[]> {
  return Promise.all(
    [...NAMED_MODELS.values()].map(async (model) => {
      const id = resolveModelId(model.name);
      return {
        name: model.name,
        parameters: countParameters(model.config),
        imageSize: model.config.imgSize,
        patchSize: model.config.patchSize,
        tag: id.tag as string,
        repo: id.repo,
        classes: model.config.numClasses,
        cached: await isCached(id, hub),
        isDefault: model.name === DEFAULT_MODEL,
      };
    }),
  );
}

async function isCached(id: ReturnType<typeof resolveModelId>, hub: HubOptions): Promise<boolean> {
  try {
    await ensureModelFiles(id, { ...hub, offline: true });
    return true;
  } catch (e) {
    if (isHubError(e, 'OFFLINE_NOT_CACHED')) return false;
    throw e;
  }
}
