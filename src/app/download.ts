// `vit download`: make a model's files local in the Hugging Face cache, by model id.

import { ensureModelFiles, type EnsuredModelFiles, type HubOptions } from '../hub/index.js';
import { DEFAULT_MODEL } from '../vit/named-models.js';
import { resolveModelId } from './model-ids.js';

export async function downloadModel(id: string = DEFAULT_MODEL, hub: HubOptions = {}): Promise<EnsuredModelFiles> {
  return ensureModelFiles(resolveModelId(id), hub);
}
