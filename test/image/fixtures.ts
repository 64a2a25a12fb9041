// Test helpers: the Pillow/torchvision fixtures written by scripts/make_image_fixtures.py and
// small comparison utilities. Expected PNGs are read with sharp directly (plain 8-bit RGB
// PNGs, a lossless format), never through the code under test.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

import type { PreprocessConfig, RgbImage } from '../../src/image/types.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const IMAGES_DIR = join(ROOT, 'test', 'fixtures', 'images');

export interface CropBoxJson {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface ManifestImage {
  pillowMode: string;
  width: number;
  height: number;
  frames: number;
  rgbSha256: string;
  decoded?: string;
}

export interface ManifestCase {
  image: string;
  config: string;
  rgbSha256: string;
  resizeSize: [number, number];
  cropBox: CropBoxJson;
  expected?: string;
}

export interface Manifest {
  generator: Record<string, string>;
  configs: Record<string, PreprocessConfig>;
  images: Record<string, ManifestImage>;
  cases: ManifestCase[];
  tensors: { image: string; config: string; path: string; shape: [number, number, number] }[];
}

export interface GeometryRow {
  sourceSize: [number, number];
  config: string;
  resizeInterpolation: string;
  resizeSize: [number, number];
  cropBox: CropBoxJson;
}

export function loadManifest(): Manifest {
  return JSON.parse(readFileSync(join(ROOT, 'test/fixtures/preprocess/manifest.json'), 'utf8')) as Manifest;
}

export function loadGeometryTable(): { configs: Record<string, PreprocessConfig>; rows: GeometryRow[] } {
  return JSON.parse(readFileSync(join(ROOT, 'test/fixtures/preprocess/geometry.json'), 'utf8'));
}

export function imagePath(name: string): string {
  return join(IMAGES_DIR, name);
}

/** An 8-bit RGB PNG fixture (path relative to the repo root) as raw pixels. */
export async function readRgbPng(relativePath: string): Promise<RgbImage> {
  const { data, info } = await sharp(join(ROOT, relativePath), { ignoreIcc: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${relativePath}: expected an RGB PNG, got ${info.channels} channels`);
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface DiffStats {
  max: number;
  mean: number;
  differing: number;
}

export function diffStats(a: Uint8Array, b: Uint8Array): DiffStats {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let max = 0;
  let sum = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > max) max = d;
    sum += d;
    if (d !== 0) differing++;
  }
  return { max, mean: a.length ? sum / a.length : 0, differing };
}

export function readFloat32(relativePath: string): Float32Array {
  const bytes = readFileSync(join(ROOT, relativePath));
  const copy = new Uint8Array(bytes); // aligned copy
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}
