// Decodes an image file or buffer to 8-bit RGB the way timm's loaders see it:
// Image.open(f).convert('RGB') with Pillow 9.4. libvips (via sharp) does the decoding; this
// module picks the sharp pipeline that gives Pillow's pixels and fixes up where they differ:
//   - embedded ICC profiles are ignored (Pillow ignores them), unless colourManage is set;
//   - EXIF orientation is not applied (Pillow/timm do not), unless autoOrient is set;
//   - alpha is dropped without compositing; grayscale is replicated to R = G = B;
//   - 16-bit grayscale is clipped at 255 (Pillow's mode I -> RGB), 16-bit colour keeps the
//     high byte; CMYK uses Pillow's naive formula, not a colour profile;
//   - multi-frame images (GIF, WebP, TIFF) give their first frame, with a GIF's transparent
//     pixels set to the palette colour Pillow reports for them.
// Every failure is an ImageDecodeError with a code and a one-line message naming the source.

import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Metadata, SharpOptions } from 'sharp';
import { loadSharp } from './sharp-lib.js';

import { fileKind, unusablePath } from '../util/regular-file.js';
import { ImageDecodeError, type ImageDecodeErrorCode } from './errors.js';
import { ACCEPTED_FORMATS_TEXT, describeRefusedFormat, detectFormat, LIBVIPS_FORMAT } from './formats.js';
import { gifFirstFrameTransparentColour } from './gif.js';
import { cmykToRgb, dropAlpha, gray16ToRgb } from './pillow-convert.js';
import { looksTruncated } from './truncation.js';
import type { RgbImage } from './types.js';

/** Pillow's Image.MAX_IMAGE_PIXELS: above it Pillow warns of a decompression bomb. */
export const DEFAULT_MAX_PIXELS = Math.floor((1024 * 1024 * 1024) / 4 / 3);

/**
 * Images with a side longer than this are refused as TOO_LARGE, whatever their pixel count:
 * libvips decodes very thin images slowly and with buffers sized by the width. Measured on PNGs
 * (2 cores): about 1 us per row whatever the width (1 x 1,000,000: 0.9-1.7 s; 1 x 80,000,000,
 * within the pixel limit: 115 s), and 18 s and 2 GB for an 80,000,000 x 1 one (26 bytes per
 * column). At 2^20 a side costs at most about 2 s; only images more than ~12,000 times longer
 * than wide come near it under the default pixel limit, and JPEG, GIF (65,535) and WebP
 * (16,383) cannot.
 */
export const MAX_IMAGE_SIDE = 1 << 20;

/**
 * Image files larger than this are refused as TOO_LARGE without being read. 512 MiB is far
 * above any photo (a 89-megapixel PNG of noise is about 270 MB) and keeps a mistaken path (a
 * disk image, a video) from being read into memory whole.
 */
export const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;

export interface DecodeOptions {
  /**
   * Convert to sRGB through embedded ICC profiles (and CMYK through a CMYK profile, 16-bit
   * gray by scaling) like a colour-managed viewer. Default false: Pillow's pixels, which is
   * what timm-trained models were evaluated on.
   */
  colourManage?: boolean;
  /** Apply the EXIF Orientation tag. Default false, like Pillow and timm. */
  autoOrient?: boolean;
  /** Refuse images with more pixels than this. Default DEFAULT_MAX_PIXELS; 0 or Infinity: no limit. */
  maxPixels?: number;
  /** Refuse image files larger than this many bytes (paths only). Default DEFAULT_MAX_FILE_BYTES. */
  maxFileBytes?: number;
}

export interface DecodedImage extends RgbImage {
  /** Container format as libvips names it: 'jpeg', 'png', 'webp', 'gif', 'tiff', ... */
  format: string;
}

const BUFFER_LABEL = '<buffer>';

/** Decode the first frame of an image file (path) or of in-memory bytes to RGB. */
export async function decodeImage(input: string | Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const label = typeof input === 'string' ? input : BUFFER_LABEL;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (!(maxFileBytes >= 1)) throw new RangeError(`maxFileBytes must be a number >= 1, got ${maxFileBytes}`);
  const bytes = typeof input === 'string' ? await readImageFile(input, maxFileBytes) : input;
  if (bytes.length === 0) {
    throw new ImageDecodeError('EMPTY', label, `${label}: empty (0 bytes), not an image`);
  }
  const maxPixels = options.maxPixels === undefined ? DEFAULT_MAX_PIXELS : options.maxPixels;
  if (!(maxPixels >= 0)) throw new RangeError(`maxPixels must be a number >= 0, got ${maxPixels}`);
  const limit = maxPixels === 0 || maxPixels === Infinity ? false : maxPixels;
  const sharpOptions: SharpOptions = {
    ignoreIcc: !options.colourManage,
    autoOrient: options.autoOrient ?? false,
    page: 0,
    pages: 1,
    // Abort on errors and truncation like Pillow does, but not on libjpeg/libpng warnings,
    // which Pillow ignores too.
    failOn: 'error',
    limitInputPixels: limit,
  };

  // Only the documented raster formats reach libvips (see formats.ts), and only if libvips
  // reads them as that format.
  const format = detectFormat(bytes);
  if (format === null) throw unsupportedFormat(label, describeRefusedFormat(bytes));

  // The header alone (no pixel decoding) tells the size, so the limit is checked with a
  // message that can say how big the image is.
  const sharp = await loadSharp();
  const meta = await run(label, bytes, () => sharp(bytes, { ...sharpOptions, limitInputPixels: false }).metadata());
  if (meta.format !== LIBVIPS_FORMAT[format] || (format === 'avif' && meta.compression !== 'av1')) {
    throw unsupportedFormat(label, `a file that starts like ${format.toUpperCase()} but reads as ${meta.compression ?? meta.format}`);
  }
  if (limit !== false && meta.width * meta.height > limit) {
    throw new ImageDecodeError(
      'TOO_LARGE',
      label,
      `${label}: image is ${meta.width}x${meta.height} = ${meta.width * meta.height} pixels, over the limit of ${limit} (decompression-bomb guard)`,
    );
  }
  if (meta.width > MAX_IMAGE_SIDE || meta.height > MAX_IMAGE_SIDE) {
    throw new ImageDecodeError(
      'TOO_LARGE',
      label,
      `${label}: image is ${meta.width}x${meta.height}, a side over the limit of ${MAX_IMAGE_SIDE} pixels (too thin to decode in bounded time and memory)`,
    );
  }

  const pixels = await run(label, bytes, () => decodePixels(bytes, sharpOptions, meta, options.colourManage ?? false));
  return { ...pixels, format: meta.format };
}

/** Picks the libvips pipeline that yields Pillow's RGB for this kind of image. */
async function decodePixels(
  bytes: Uint8Array,
  sharpOptions: SharpOptions,
  meta: Metadata,
  colourManage: boolean,
): Promise<RgbImage> {
  const sharp = await loadSharp();
  if (!colourManage && meta.space === 'cmyk') {
    const { data, info } = await sharp(bytes, sharpOptions)
      .pipelineColourspace('cmyk')
      .toColourspace('cmyk')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: cmykToRgb(data, info.width * info.height, info.channels) };
  }
  if (!colourManage && meta.depth === 'ushort' && meta.channels === 1) {
    const { data, info } = await sharp(bytes, sharpOptions)
      .toColourspace('grey16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    // Native-endian 16-bit samples; copy first if the buffer is not 2-byte aligned.
    const aligned = data.byteOffset % 2 === 0 ? data : Buffer.from(data);
    const samples = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
    return { width: info.width, height: info.height, data: gray16ToRgb(samples, info.width * info.height) };
  }
  // Alpha is dropped by libvips (the RGB under it is kept as is, like Pillow's RGBA -> RGB)
  // rather than in JS, which would hold a 4-channel copy too: 446 MB instead of about 200 for
  // an 8000x8000 RGBA PNG. Except in a GIF, whose transparent pixels need their palette colour.
  const pipeline = sharp(bytes, sharpOptions).toColourspace('srgb');
  if (meta.format !== 'gif') pipeline.removeAlpha();
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const pixelCount = info.width * info.height;
  if (info.channels === 3) {
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  }
  if (info.channels !== 4) {
    throw new Error(`unexpected ${info.channels}-channel output from the decoder`);
  }
  const transparent = meta.format === 'gif' ? gifFirstFrameTransparentColour(bytes) : null;
  return { width: info.width, height: info.height, data: dropAlpha(data, pixelCount, transparent) };
}

/** The ImageDecodeError for a file that is not a regular file, or null when it is one. */
function notRegular(path: string, info: Stats): ImageDecodeError | null {
  if (info.isDirectory()) return new ImageDecodeError('EISDIR', path, `${path}: is a directory, not an image file`);
  if (!info.isFile()) return new ImageDecodeError('NOT_A_FILE', path, `${path}: is ${fileKind(info)}, not an image file`);
  return null;
}

/**
 * Reads a whole image file, at most maxBytes of it. Only regular files are read: a FIFO would
 * block forever, /dev/zero never ends. The path is checked with stat() before it is opened (so
 * a device is never opened), and the opened file with fstat() (in case the path changed in
 * between); O_NONBLOCK keeps that open from waiting for a FIFO's writer (it changes nothing for
 * regular files), O_NOCTTY keeps a terminal from becoming ours.
 */
async function readImageFile(path: string, maxBytes: number): Promise<Uint8Array> {
  const unusable = unusablePath(path);
  if (unusable) throw new ImageDecodeError('INVALID_PATH', path, `${path.replaceAll('\0', '\\0')}: not a valid path (${unusable})`);
  let handle: FileHandle | undefined;
  try {
    const refusal = notRegular(path, await stat(path));
    if (refusal) throw refusal;
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
    const info = await handle.stat();
    const changed = notRegular(path, info);
    if (changed) throw changed;
    if (info.size > maxBytes) throw fileTooLarge(path, maxBytes, `is ${info.size} bytes`);
    return await readAtMost(handle, path, info.size, maxBytes);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw readError(path, error);
  } finally {
    await handle?.close();
  }
}

function fileTooLarge(path: string, maxBytes: number, size: string): ImageDecodeError {
  return new ImageDecodeError('TOO_LARGE', path, `${path}: file ${size}, over the limit of ${maxBytes} bytes for an image`);
}

/**
 * The file's bytes, read to its end; throws TOO_LARGE past maxBytes (a file can grow after
 * fstat, and some report a size of 0, like those in /proc).
 */
async function readAtMost(handle: FileHandle, path: string, sizeHint: number, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  // One read for a file whose size is known (the extra byte sees the end), 64 KiB steps otherwise.
  let chunkSize = Math.min(maxBytes + 1, Math.max(sizeHint + 1, 64 * 1024));
  for (;;) {
    const chunk = Buffer.allocUnsafe(chunkSize);
    let filled = 0;
    while (filled < chunk.length) {
      const { bytesRead } = await handle.read(chunk, filled, chunk.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    total += filled;
    if (total > maxBytes) throw fileTooLarge(path, maxBytes, `has more than ${maxBytes} bytes`);
    chunks.push(chunk.subarray(0, filled));
    if (filled < chunk.length) break;
    chunkSize = Math.min(maxBytes + 1 - total, Math.max(chunkSize, 64 * 1024));
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

/** An I/O error as an ImageDecodeError with a code. */
function readError(path: string, error: unknown): ImageDecodeError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ImageDecodeError('ENOENT', path, `${path}: no such file`, { cause: error });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new ImageDecodeError('EACCES', path, `${path}: permission denied`, { cause: error });
  }
  if (code === 'EISDIR') {
    return new ImageDecodeError('EISDIR', path, `${path}: is a directory, not an image file`, { cause: error });
  }
  return new ImageDecodeError('READ_FAILED', path, `${path}: cannot be read (${code ?? 'unknown error'})`, { cause: error });
}

function unsupportedFormat(label: string, what: string | null): ImageDecodeError {
  const problem = what ? `${what}, not in a supported format` : 'not an image, or not in a supported format';
  return new ImageDecodeError('UNSUPPORTED_FORMAT', label, `${label}: ${problem} (${ACCEPTED_FORMATS_TEXT})`);
}

/** Runs a sharp call on `bytes`, turning its errors into ImageDecodeError. */
async function run<T>(label: string, bytes: Uint8Array, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    const [code, problem] = classifyDecoderError(error, bytes);
    throw new ImageDecodeError(code, label, `${label}: ${problem}`, { cause: error });
  }
}

/** Maps a libvips/sharp failure to a code and a plain-words description. */
function classifyDecoderError(error: unknown, bytes: Uint8Array): [ImageDecodeErrorCode, string] {
  const message = error instanceof Error ? error.message : String(error);
  if (/unsupported image format|not a known file format/i.test(message)) {
    return ['UNSUPPORTED_FORMAT', `not an image, or not in a supported format (${ACCEPTED_FORMATS_TEXT})`];
  }
  if (/exceeds pixel limit/i.test(message)) {
    return ['TOO_LARGE', 'image has more pixels than the limit (decompression-bomb guard)'];
  }
  // libvips words truncation differently per format (and not at all for PNG): trust the
  // container's end marker over the message.
  if (looksTruncated(bytes) || /premature end|truncated/i.test(message)) {
    return ['TRUNCATED', 'image data is truncated (the file ends too early)'];
  }
  return ['CORRUPT', 'image data is corrupt and cannot be decoded'];
}
