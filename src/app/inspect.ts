// Describing a model for `vit info`: the resolution (architecture, preprocessing, labels and where
// each came from), the parameter count, and for a checkpoint its file, tensors and metadata. A
// checkpoint that does not fit its architecture is still described; the mismatch is returned
// beside the description, so the caller can show both.

import { statSync } from 'node:fs';
import { CheckpointSource } from '../checkpoint/index.js';
import { countParameters } from '../vit/parameters.js';
import { checkpointConfigOf } from './load-weights.js';
import { openModel, type ModelRequest, type ResolvedModel } from './resolve-model.js';

export interface CheckpointDescription {
  path: string;
  bytes: number;
  dtypes: string[];
  metadata: Readonly<Record<string, string>>;
  /** Every tensor as stored, sorted by name. */
  tensors: { name: string; dtype: string; shape: readonly number[] }[];
}

export interface ModelDescription {
  model: ResolvedModel;
  parameters: number;
  checkpoint?: CheckpointDescription;
  /** Why the checkpoint does not fit the resolved architecture, when it does not. */
  mismatch?: Error;
}

/** Describe what a request resolves to; reads only the cache (never downloads). */
export async function describeModel(request: Omit<ModelRequest, 'fetch'>): Promise<ModelDescription> {
  const { source, model } = await openModel({ ...request, fetch: 'cache' });
  try {
    return { model, parameters: countParameters(model.config), ...(source !== undefined ? describeCheckpoint(source, model) : {}) };
  } finally {
    source?.close();
  }
}

function describeCheckpoint(source: CheckpointSource, model: ResolvedModel): { checkpoint: CheckpointDescription; mismatch?: Error } {
  const tensors = [...source.stored.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
  const checkpoint = {
    path: source.path,
    bytes: statSync(source.path).size,
    dtypes: [...new Set(tensors.map((t) => t.dtype))].sort(),
    metadata: source.metadata,
    tensors,
  };
  try {
    source.check(checkpointConfigOf(model), `${model.name} (${model.provenance.architecture})`);
    return { checkpoint };
  } catch (e) {
    if (e instanceof Error) return { checkpoint, mismatch: e };
    throw e;
  }
}
