// Encoding decoded pixels back to a file format (the heat maps of `vit explain`), with libvips.

import { loadSharp } from './sharp-lib.js';
import type { RgbImage } from './types.js';

/** `image` as PNG bytes (8-bit RGB). */
export async function encodePng(image: RgbImage): Promise<Uint8Array> {
  const raw = { width: image.width, height: image.height, channels: 3 as const };
  const sharp = await loadSharp();
  const bytes = await sharp(image.data, { raw, limitInputPixels: false }).png().toBuffer();
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
