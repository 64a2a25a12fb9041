// Pixel conversions that reproduce Pillow 9.4's Image.convert('RGB') where libvips would
// convert differently. Pure functions over raw sample arrays.

/**
 * CMYK -> RGB the way Pillow does it (Convert.c cmyk2rgb): no colour management, just
 * R = (255 - K) - C * (255 - K) / 255 with Pillow's rounding MULDIV255. `channels` is 4, or 5
 * with an alpha band that is dropped.
 */
export function cmykToRgb(cmyk: Uint8Array, pixels: number, channels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0, p = 0, o = 0; i < pixels; i++, p += channels, o += 3) {
    const notK = 255 - cmyk[p + 3];
    rgb[o] = notK - mulDiv255(cmyk[p], notK);
    rgb[o + 1] = notK - mulDiv255(cmyk[p + 1], notK);
    rgb[o + 2] = notK - mulDiv255(cmyk[p + 2], notK);
  }
  return rgb;
}

/** Pillow's MULDIV255: a * b / 255, rounded, in integers. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

/**
 * 16-bit grayscale -> RGB as Pillow does it: such images open as mode I (or I;16), whose
 * conversion to 8 bits *clips* at 255 instead of scaling, so most of the range turns white.
 */
export function gray16ToRgb(gray: Uint16Array, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0, o = 0; i < pixels; i++, o += 3) {
    const v = gray[i] > 255 ? 255 : gray[i];
    rgb[o] = v;
    rgb[o + 1] = v;
    rgb[o + 2] = v;
  }
  return rgb;
}

/**
 * Drop the alpha band of interleaved RGBA without compositing (Pillow's RGBA -> RGB);
 * pixels with alpha 0 get `transparentColour` when given (see gif.ts for why).
 */
export function dropAlpha(rgba: Uint8Array, pixels: number, transparentColour?: readonly [number, number, number] | null): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0, p = 0, o = 0; i < pixels; i++, p += 4, o += 3) {
    if (transparentColour && rgba[p + 3] === 0) {
      rgb[o] = transparentColour[0];
      rgb[o + 1] = transparentColour[1];
      rgb[o + 2] = transparentColour[2];
    } else {
      rgb[o] = rgba[p];
      rgb[o + 1] = rgba[p + 1];
      rgb[o + 2] = rgba[p + 2];
    }
  }
  return rgb;
}
