// Tells a truncated file from a corrupt one after a decoder failure, from the container's own
// structure: libvips reports both as the same "read error" for PNG and as "corrupt header" for
// a cut WebP, while Pillow (and users) call the first kind "truncated".
// Pure: inspects bytes only.

import { detectFormat } from './formats.js';

export type SniffedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'unknown';

/** The container format from its magic bytes, among those whose end this module can check. */
export function sniffFormat(bytes: Uint8Array): SniffedFormat {
  const format = detectFormat(bytes);
  return format === 'jpeg' || format === 'png' || format === 'gif' || format === 'webp' ? format : 'unknown';
}

/** Does `needle` occur in the last `window` bytes? */
function endsWithin(bytes: Uint8Array, needle: number[], window: number): boolean {
  for (let i = bytes.length - needle.length; i >= Math.max(0, bytes.length - window); i--) {
    if (needle.every((b, j) => bytes[i + j] === b)) return true;
  }
  return false;
}

/**
 * True when the file visibly stops before its format's end: no JPEG EOI marker, no PNG IEND
 * chunk, no GIF trailer, or fewer bytes than the WebP RIFF header announces. (Trailing junk
 * after the end marker is tolerated by searching the last few KB.) False when it cannot tell.
 */
export function looksTruncated(bytes: Uint8Array): boolean {
  switch (sniffFormat(bytes)) {
    case 'jpeg':
      return !endsWithin(bytes, [0xff, 0xd9], 4096);
    case 'png':
      return !endsWithin(bytes, [0x49, 0x45, 0x4e, 0x44], 4096); // "IEND"
    case 'gif':
      return !endsWithin(bytes, [0x3b], 64);
    case 'webp': {
      const riffSize = bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24);
      return bytes.length < (riffSize >>> 0) + 8;
    }
    default:
      return false;
  }
}
