// decodeImage against Pillow 9.4's Image.open(f).convert('RGB') (fixtures from
// scripts/make_image_fixtures.py), its options, and its errors.

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

import { decodeImage, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_PIXELS } from '../../src/image/decode.js';
import { ImageDecodeError } from '../../src/image/errors.js';
import { gifFirstFrameTransparentColour } from '../../src/image/gif.js';
import { looksTruncated, sniffFormat } from '../../src/image/truncation.js';
import { diffStats, IMAGES_DIR, imagePath, loadManifest, readRgbPng, sha256 } from './fixtures.js';

const manifest = loadManifest();
const report: string[] = [];
afterAll(() => {
  if (process.env.VIT_IMAGE_REPORT) console.log(['decode vs Pillow:', ...report].join('\n'));
});

function pixel(img: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

describe('decodeImage equals Pillow convert("RGB")', () => {
  for (const [name, expected] of Object.entries(manifest.images)) {
    it(`${name} (Pillow mode ${expected.pillowMode})`, async () => {
      const img = await decodeImage(imagePath(name));
      expect([img.width, img.height]).toEqual([expected.width, expected.height]);
      expect(img.data.length).toBe(img.width * img.height * 3);
      if (expected.decoded) {
        const stats = diffStats(img.data, (await readRgbPng(expected.decoded)).data);
        report.push(`${name.padEnd(20)} ${expected.pillowMode.padEnd(5)} max ${stats.max} differing ${stats.differing}`);
        expect(stats.max).toBe(0);
      }
      expect(sha256(img.data)).toBe(expected.rgbSha256);
    });
  }
});

describe('decodeImage semantics', () => {
  it('gives the first frame of an animated GIF', async () => {
    expect(manifest.images['animated.gif'].frames).toBe(3);
    const img = await decodeImage(imagePath('animated.gif'));
    // frame 0 is red-dominated (frames 1 and 2 are green and blue)
    const [r, g, b] = pixel(img, 0, 0);
    expect(r).toBeGreaterThan(150);
    expect(Math.max(g, b)).toBeLessThan(100);
  });

  it("gives a GIF's transparent pixels the palette colour Pillow reports", async () => {
    const bytes = readFileSync(imagePath('animated_trns.gif'));
    expect(gifFirstFrameTransparentColour(bytes)).toEqual([250, 0, 250]);
    const img = await decodeImage(bytes);
    expect(pixel(img, 0, 0)).toEqual([250, 0, 250]); // transparent in the file
    expect(pixel(img, 5, 0)).toEqual([10, 20, 30]); // opaque palette entry 1
    expect(gifFirstFrameTransparentColour(readFileSync(imagePath('animated.gif')))).toBeNull();
    expect(gifFirstFrameTransparentColour(readFileSync(imagePath('cat.png')))).toBeNull();
  });

  it('keeps the RGB under alpha 0 (no compositing)', async () => {
    const img = await decodeImage(imagePath('rgba.png'));
    // the top 20 rows are fully transparent in the file but hold the photo's colours
    const [r, g, b] = pixel(img, 60, 5);
    expect(r + g + b).toBeGreaterThan(0);
    expect([r, g, b]).not.toEqual([255, 255, 255]);
  });

  it('clips 16-bit grayscale at 255 like Pillow (mode I), and keeps 16-bit colour high bytes', async () => {
    const gray = await decodeImage(imagePath('gray16.png'));
    expect(pixel(gray, 63, 0)).toEqual([255, 255, 255]); // 65535
    expect(pixel(gray, 1, 0)).toEqual([255, 255, 255]); // 1040 (scaling would give 4)
    expect(pixel(gray, 0, 0)).toEqual([0, 0, 0]);
    expect(pixel(gray, 0, 30)[0]).toBeLessThan(256); // the 0..400 ramp passes through below 256
    const rgb16 = await decodeImage(imagePath('rgb16.png'));
    // x * 1031 >> 8 at x = 10: 10310 >> 8 = 40
    expect(pixel(rgb16, 10, 0)[0]).toBe(40);
  });

  it('ignores the EXIF orientation by default, applies it when asked', async () => {
    const stored = await decodeImage(imagePath('exif_rotated.jpg'));
    expect([stored.width, stored.height]).toEqual([120, 90]);
    const oriented = await decodeImage(imagePath('exif_rotated.jpg'), { autoOrient: true });
    expect([oriented.width, oriented.height]).toEqual([90, 120]);
    // orientation 6: displayed (x, y) = stored (y, H - 1 - x)
    expect(pixel(oriented, 0, 0)).toEqual(pixel(stored, 0, 89));
  });

  it('ignores embedded ICC profiles by default; colourManage converts (and leaves Pillow parity)', async () => {
    const raw = await decodeImage(imagePath('icc_adobe_like.jpg'));
    expect(sha256(raw.data)).toBe(manifest.images['icc_adobe_like.jpg'].rgbSha256);
    const managed = await decodeImage(imagePath('icc_adobe_like.jpg'), { colourManage: true });
    const stats = diffStats(raw.data, managed.data);
    report.push(`icc_adobe_like.jpg colourManage vs Pillow: max ${stats.max} mean ${stats.mean.toFixed(2)}`);
    expect(stats.max).toBeGreaterThan(10);
  });

  it('converts CMYK with Pillow’s formula by default, through a profile with colourManage', async () => {
    const pillowLike = await decodeImage(imagePath('cmyk.jpg'));
    expect(sha256(pillowLike.data)).toBe(manifest.images['cmyk.jpg'].rgbSha256);
    const managed = await decodeImage(imagePath('cmyk.jpg'), { colourManage: true });
    expect(diffStats(pillowLike.data, managed.data).max).toBeGreaterThan(10);
  });

  it('decodes bytes as well as paths, and reports the format', async () => {
    const fromPath = await decodeImage(imagePath('coffee.jpg'));
    const fromBytes = await decodeImage(new Uint8Array(readFileSync(imagePath('coffee.jpg'))));
    expect(fromBytes.format).toBe('jpeg');
    expect(sha256(fromBytes.data)).toBe(sha256(fromPath.data));
  });
});

describe('decodeImage errors', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vit-image-test-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  async function decodeError(input: string | Uint8Array, options = {}): Promise<ImageDecodeError> {
    try {
      await decodeImage(input, options);
    } catch (error) {
      expect(error).toBeInstanceOf(ImageDecodeError);
      const e = error as ImageDecodeError;
      expect(e.message).not.toContain('\n');
      expect(e.message).not.toMatch(/vips|libjpeg|libspng|sharp/i);
      return e;
    }
    throw new Error('decodeImage did not throw');
  }

  const cases: [string, string, RegExp][] = [
    ['no-such-image.jpg', 'ENOENT', /no such file/],
    ['empty.jpg', 'EMPTY', /empty/],
    ['not_an_image.jpg', 'UNSUPPORTED_FORMAT', /not an image/],
    ['truncated.jpg', 'TRUNCATED', /truncated/],
    ['truncated.png', 'TRUNCATED', /truncated/],
    ['truncated.webp', 'TRUNCATED', /truncated/],
    ['corrupt.png', 'CORRUPT', /corrupt/],
    ['bomb_header.png', 'TOO_LARGE', /40000x40000 = 1600000000 pixels, over the limit of 89478485/],
    // a known difference: Pillow reads BMP (and PPM, TGA, ICO); sharp's libvips build does not
    ['legacy.bmp', 'UNSUPPORTED_FORMAT', /not in a supported format/],
  ];
  for (const [file, code, problem] of cases) {
    it(`${file}: ${code}`, async () => {
      const path = imagePath(file);
      const e = await decodeError(path);
      expect(e.code).toBe(code);
      expect(e.source).toBe(path);
      expect(e.message).toContain(path);
      expect(e.message).toMatch(problem);
      report.push(`${code.padEnd(18)} ${e.message.replace(IMAGES_DIR + '/', '')}`);
    });
  }

  it('EISDIR for a directory', async () => {
    const e = await decodeError(IMAGES_DIR);
    expect(e.code).toBe('EISDIR');
    expect(e.message).toBe(`${IMAGES_DIR}: is a directory, not an image file`);
  });

  it.skipIf(process.getuid?.() === 0)('EACCES for an unreadable file', async () => {
    const path = join(tmp, 'locked.png');
    writeFileSync(path, readFileSync(imagePath('tiny_1x1.png')));
    chmodSync(path, 0o000);
    expect((await decodeError(path)).code).toBe('EACCES');
  });

  /** mkfifo(1), where there is one. */
  function makeFifo(path: string): boolean {
    try {
      execFileSync('mkfifo', [path]);
      return true;
    } catch {
      return false;
    }
  }

  it('NOT_A_FILE for a FIFO with no writer, at once (reading it would wait forever)', async () => {
    const fifo = join(tmp, 'pipe.png');
    if (!makeFifo(fifo)) return; // no mkfifo here (Windows)
    const started = performance.now();
    const e = await decodeError(fifo);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(e.code).toBe('NOT_A_FILE');
    expect(e.message).toBe(`${fifo}: is a FIFO (named pipe), not an image file`);
  }, 10_000);

  for (const device of ['/dev/zero', '/dev/urandom']) {
    it.skipIf(!existsSync(device))(`NOT_A_FILE for ${device} (reading it never ends)`, async () => {
      const e = await decodeError(device);
      expect(e.code).toBe('NOT_A_FILE');
      expect(e.message).toBe(`${device}: is a character device, not an image file`);
    });
  }

  it('TOO_LARGE for a file over maxFileBytes (512 MiB by default), without reading it', async () => {
    expect(DEFAULT_MAX_FILE_BYTES).toBe(512 * 1024 * 1024);
    const sparse = join(tmp, 'huge.png');
    writeFileSync(sparse, readFileSync(imagePath('tiny_1x1.png')));
    truncateSync(sparse, DEFAULT_MAX_FILE_BYTES + 1); // sparse: no disk used, and reading it would take a while
    const started = performance.now();
    const e = await decodeError(sparse);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(e.code).toBe('TOO_LARGE');
    expect(e.message).toBe(`${sparse}: file is ${DEFAULT_MAX_FILE_BYTES + 1} bytes, over the limit of ${DEFAULT_MAX_FILE_BYTES} bytes for an image`);
    const small = imagePath('coffee.png');
    const size = readFileSync(small).length;
    expect((await decodeError(small, { maxFileBytes: size - 1 })).code).toBe('TOO_LARGE');
    await expect(decodeImage(small, { maxFileBytes: size })).resolves.toMatchObject({ width: 600 });
  });

  it.skipIf(!existsSync('/proc/self/status'))('counts the bytes read where the size is unknown (/proc files report 0)', async () => {
    const e = await decodeError('/proc/self/status', { maxFileBytes: 10 });
    expect(e.code).toBe('TOO_LARGE');
    expect(e.message).toBe('/proc/self/status: file has more than 10 bytes, over the limit of 10 bytes for an image');
    expect((await decodeError('/proc/self/status')).code).toBe('UNSUPPORTED_FORMAT'); // read whole, then refused
  });

  it('INVALID_PATH for a path with a NUL byte, shown escaped', async () => {
    const e = await decodeError('cat\0.png');
    expect(e.code).toBe('INVALID_PATH');
    expect(e.source).toBe('cat\0.png');
    expect(e.message).toBe('cat\\0.png: not a valid path (it contains a NUL byte)');
  });

  describe('only the documented raster formats are decoded', () => {
    const supported = '(JPEG, PNG, WebP, GIF, TIFF, AVIF)';
    const svg = (size: number) =>
      `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><filter id="b"><feGaussianBlur stdDeviation="50"/></filter>` +
      `<rect width="${size}" height="${size}" fill="red" filter="url(#b)"/></svg>`;
    const refused: [string, Uint8Array, string][] = [
      // libvips rasterised this one: over 60 s and 1.9 GB; Pillow cannot read SVG at all
      ['a 9000x9000 SVG with a blur', new TextEncoder().encode(svg(9000)), 'an SVG (vector) image, not in a supported format'],
      ['an SVG with an XML declaration', new TextEncoder().encode(`<?xml version="1.0"?>\n${svg(10)}`), 'an SVG (vector) image, not in a supported format'],
      ['a PDF', new TextEncoder().encode('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n'), 'a PDF document, not in a supported format'],
      ['a HEIF file with HEIC brands', new Uint8Array([0, 0, 0, 24, ...new TextEncoder().encode('ftypheic\0\0\0\0mif1heic')]), 'a HEIF image other than AVIF (HEIC?), not in a supported format'],
    ];
    for (const [what, bytes, problem] of refused) {
      it(`UNSUPPORTED_FORMAT for ${what}, at once`, async () => {
        const started = performance.now();
        const e = await decodeError(bytes);
        expect(performance.now() - started).toBeLessThan(1000);
        expect(e.code).toBe('UNSUPPORTED_FORMAT');
        expect(e.message).toBe(`<buffer>: ${problem} ${supported}`);
      });
    }

    it('UNSUPPORTED_FORMAT for an SVG named .png, read from a file', async () => {
      const path = join(tmp, 'vector.png');
      writeFileSync(path, svg(100));
      const e = await decodeError(path);
      expect(e.code).toBe('UNSUPPORTED_FORMAT');
      expect(e.message).toBe(`${path}: an SVG (vector) image, not in a supported format ${supported}`);
    });

    it('UNSUPPORTED_FORMAT for gzip-compressed SVG', async () => {
      const { gzipSync } = await import('node:zlib');
      const e = await decodeError(new Uint8Array(gzipSync(svg(100))));
      expect(e.code).toBe('UNSUPPORTED_FORMAT');
    });

    it('decodes AVIF and BigTIFF, made here by libvips', async () => {
      const raw = new Uint8Array(8 * 6 * 3).map((_, i) => (i * 37) % 256);
      const solid = () => sharp(raw, { raw: { width: 8, height: 6, channels: 3 } });
      const avif = await decodeImage(new Uint8Array(await solid().avif().toBuffer()));
      expect([avif.format, avif.width, avif.height]).toEqual(['heif', 8, 6]);
      const bigtiff = await decodeImage(new Uint8Array(await solid().tiff({ bigtiff: true, compression: 'deflate' }).toBuffer()));
      expect([bigtiff.format, bigtiff.width, bigtiff.height]).toEqual(['tiff', 8, 6]);
      expect(sha256(bigtiff.data)).toBe(sha256(raw)); // lossless
    });
  });

  it('labels in-memory input <buffer>', async () => {
    const e = await decodeError(new Uint8Array(0));
    expect(e.code).toBe('EMPTY');
    expect(e.message).toMatch(/^<buffer>: /);
    expect((await decodeError(new TextEncoder().encode('hello'))).code).toBe('UNSUPPORTED_FORMAT');
  });

  it('applies a configurable pixel limit (Pillow MAX_IMAGE_PIXELS by default)', async () => {
    expect(DEFAULT_MAX_PIXELS).toBe(89478485);
    const e = await decodeError(imagePath('coffee.png'), { maxPixels: 100_000 });
    expect(e.code).toBe('TOO_LARGE');
    expect(e.message).toContain('600x400 = 240000 pixels');
    await expect(decodeImage(imagePath('coffee.png'), { maxPixels: 240_000 })).resolves.toMatchObject({ width: 600 });
    await expect(decodeImage(imagePath('coffee.png'), { maxPixels: 0 })).resolves.toMatchObject({ width: 600 });
  });
});

describe('truncation check', () => {
  const read = (name: string) => new Uint8Array(readFileSync(imagePath(name)));

  it('sniffs the container formats it knows', () => {
    expect(['cat.jpg', 'cat.png', 'animated.gif', 'photo.webp', 'photo.tiff'].map((n) => sniffFormat(read(n)))).toEqual([
      'jpeg',
      'png',
      'gif',
      'webp',
      'unknown',
    ]);
  });

  it('sees a missing end marker, tolerates trailing junk, cannot judge unknown formats', () => {
    for (const n of ['cat.jpg', 'cat.png', 'animated.gif', 'photo.webp', 'corrupt.png']) expect(looksTruncated(read(n))).toBe(false);
    for (const n of ['truncated.jpg', 'truncated.png', 'truncated.webp']) expect(looksTruncated(read(n))).toBe(true);
    const junk = new Uint8Array([...read('cat.jpg'), ...new Uint8Array(300).fill(0x20)]);
    expect(looksTruncated(junk)).toBe(false);
    expect(looksTruncated(read('photo.tiff').subarray(0, 100))).toBe(false);
  });
});
