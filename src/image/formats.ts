// The container formats decodeImage accepts, told from their magic bytes before libvips sees
// the data. libvips picks a loader by content and would also load SVG (rasterised: a 9000x9000
// SVG with a blur filter took over 60 s and 1.9 GB), and, in other builds, PDF, HEIC or
// anything ImageMagick reads; Pillow, and so timm, reads none of those, and sharp has no
// per-call way to restrict its loaders (sharp.block() is process-wide). So only bytes that
// open like one of these formats reach libvips, and decode.ts checks that libvips agrees.
// Pure: inspects bytes only.

/** The accepted formats, as users know them. */
export type AcceptedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif';

export const ACCEPTED_FORMATS_TEXT = 'JPEG, PNG, WebP, GIF, TIFF, AVIF';

/** The format libvips (sharp's metadata().format) reports for each accepted one. */
export const LIBVIPS_FORMAT: Record<AcceptedFormat, string> = {
  jpeg: 'jpeg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
  tiff: 'tiff',
  avif: 'heif', // libheif's container; decode.ts also checks the AV1 compression
};

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, Math.min(to, bytes.length)));
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/** The ISO-BMFF (HEIF family) brands of an `ftyp` box, or null if the bytes do not start with one. */
function ftypBrands(bytes: Uint8Array): string[] | null {
  if (ascii(bytes, 4, 8) !== 'ftyp') return null;
  const boxSize = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const end = Math.min(boxSize, bytes.length, 4096);
  const brands = [ascii(bytes, 8, 12)]; // major brand, then (after the minor version) compatible ones
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(bytes, at, at + 4));
  return brands;
}

/** An accepted format, or null. */
export function detectFormat(bytes: Uint8Array): AcceptedFormat | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  const head = ascii(bytes, 0, 12);
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return 'gif';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'webp';
  // classic TIFF (42) and BigTIFF (43), little- and big-endian
  if (['II*\0', 'MM\0*', 'II+\0', 'MM\0+'].includes(head.slice(0, 4))) return 'tiff';
  const brands = ftypBrands(bytes);
  if (brands && (brands.includes('avif') || brands.includes('avis'))) return 'avif';
  return null;
}

/** For a refusal message: what a known but unaccepted format is, or null if unrecognised. */
export function describeRefusedFormat(bytes: Uint8Array): string | null {
  const head = ascii(bytes, 0, 1024).replace(/^\uFEFF?\s*/, '');
  if (/^(<\?xml|<svg|<!DOCTYPE svg)/i.test(head) && /<svg[\s>]/i.test(head)) return 'an SVG (vector) image';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'gzip-compressed data (an SVGZ image?)';
  if (head.startsWith('%PDF')) return 'a PDF document';
  if (head.startsWith('BM') && startsWith(bytes.subarray(6), [0, 0, 0, 0])) return 'a BMP image'; // reserved bytes are 0
  if (ftypBrands(bytes)) return 'a HEIF image other than AVIF (HEIC?)';
  return null;
}
