// Reads, from a GIF's headers, the colour its first frame's transparent index stands for.
//
// Why: Pillow opens a GIF's first frame as a palette image, and convert('RGB') maps the
// transparent index to its palette colour; libvips renders those pixels as (0, 0, 0, alpha 0).
// Knowing the palette colour lets decode.ts give the transparent pixels Pillow's value.
// Pure: parses bytes, no I/O.

type Rgb = [number, number, number];

/** Size in bytes of a colour table announced by a packed field, or 0 if there is none. */
function colourTableBytes(packed: number): number {
  return packed & 0x80 ? 3 * (1 << ((packed & 0x07) + 1)) : 0;
}

/** Offset just past a chain of data sub-blocks starting at `offset`. */
function skipSubBlocks(bytes: Uint8Array, offset: number): number {
  while (offset < bytes.length) {
    const size = bytes[offset];
    offset += 1 + size;
    if (size === 0) break;
  }
  return offset;
}

/**
 * The RGB colour of the first frame's transparent palette index, or null when the file is
 * not a GIF, the first frame has no transparency, or the headers cannot be read.
 */
export function gifFirstFrameTransparentColour(bytes: Uint8Array): Rgb | null {
  const signature = String.fromCharCode(...bytes.subarray(0, 6));
  if (signature !== 'GIF87a' && signature !== 'GIF89a') return null;
  if (bytes.length < 13) return null;
  const globalTable = 13;
  let offset = globalTable + colourTableBytes(bytes[10]);
  let transparentIndex: number | null = null;

  while (offset < bytes.length) {
    const introducer = bytes[offset];
    if (introducer === 0x21) {
      // Extension; a Graphic Control Extension (0xF9) holds the transparency flag and index.
      const label = bytes[offset + 1];
      if (label === 0xf9 && bytes[offset + 2] >= 4 && offset + 6 < bytes.length) {
        transparentIndex = bytes[offset + 3] & 0x01 ? bytes[offset + 6] : null;
      }
      offset = skipSubBlocks(bytes, offset + 2);
    } else if (introducer === 0x2c) {
      // First image descriptor: its local table, if any, overrides the global one.
      if (transparentIndex === null || offset + 9 >= bytes.length) return null;
      const packed = bytes[offset + 9];
      const table = colourTableBytes(packed) ? offset + 10 : colourTableBytes(bytes[10]) ? globalTable : -1;
      const entry = table + 3 * transparentIndex;
      if (table < 0 || entry + 2 >= bytes.length) return null;
      const tableEnd = table + (table === globalTable ? colourTableBytes(bytes[10]) : colourTableBytes(packed));
      if (entry + 3 > tableEnd) return null;
      return [bytes[entry], bytes[entry + 1], bytes[entry + 2]];
    } else {
      return null; // trailer (0x3B) or garbage before any frame
    }
  }
  return null;
}
