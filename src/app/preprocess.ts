// `vit preprocess`: the exact input tensor the model would see for an image, written as
// safetensors with how it was made (source, model, resize engine, preprocessing, geometry) in its
// metadata. The preprocessing comes from the one resolver, like every command's.

import { writeFileSync } from 'node:fs';
import { loadImageTensor, type DecodeOptions, type LoadedImage, type ResizeEngine } from '../image/index.js';
import { encodeSafetensors } from '../safetensors/index.js';
import { outputError } from './errors.js';
import { resolveModel, type ModelRequest, type ResolvedModel } from './resolve-model.js';

export interface PreprocessRequest extends Omit<ModelRequest, 'fetch' | 'labels'> {
  image: string;
  out: string;
  resize?: ResizeEngine;
  decode?: DecodeOptions;
}

export interface PreprocessResult {
  model: ResolvedModel;
  image: LoadedImage;
  /** [1, 3, H, W] */
  shape: [number, number, number, number];
}

export async function preprocessToFile(request: PreprocessRequest): Promise<PreprocessResult> {
  const model = await resolveModel({ ...request, fetch: 'cache' });
  const cfg = model.preprocess;
  const resize = request.resize ?? 'pillow';
  const image = await loadImageTensor(request.image, cfg, { ...request.decode, resize });
  const [, h, w] = cfg.inputSize;
  const shape: PreprocessResult['shape'] = [1, 3, h, w];
  const bytes = encodeSafetensors(
    { input: { shape, data: image.tensor } },
    { source: request.image, model: model.name, resize, preprocess: JSON.stringify(cfg), geometry: JSON.stringify(image.geometry) },
  );
  try {
    writeFileSync(request.out, bytes);
  } catch (e) {
    throw outputError(request.out, 'the tensor', e);
  }
  return { model, image, shape };
}
