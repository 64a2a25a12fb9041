// A seeded mini-fuzz of decodeImage: the fixture images with bytes flipped, ranges zeroed,
// garbage inserted, or cut short. Property: every mutant either decodes to a well-formed RGB
// image that preprocesses, or is refused with an ImageDecodeError carrying a documented code
// and a one-line message, each within a time bound. The seed is fixed, so a failure
// reproduces; FUZZ_SEED and FUZZ_ROUNDS explore further.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { decodeImage } from '../../src/image/decode.js';
import { ImageDecodeError } from '../../src/image/errors.js';
import { preprocess, VIT_BASE_PATCH16_384_PREPROCESS } from '../../src/image/preprocess.js';
import { imagePath } from './fixtures.js';

/** The codes the README documents for an image that cannot be used. */
const DOCUMENTED_CODES = new Set([
  'ENOENT',
  'EACCES',
  'EISDIR',
  'NOT_A_FILE',
  'INVALID_PATH',
  'EMPTY',
  'UNSUPPORTED_FORMAT',
  'TRUNCATED',
  'CORRUPT',
  'TOO_LARGE',
  'READ_FAILED',
]);

// Small fixtures, one or more per container format and pixel layout.
const SEEDS = ['tiny_1x1.png', 'palette_trns.png', 'gray16.png', 'animated_trns.gif', 'photo.webp', 'photo.tiff', 'exif_rotated.jpg', 'progressive.jpg', 'cmyk.jpg'];
const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 24);
const TIME_LIMIT_MS = 2000;

/** xorshift32: small, seedable, and the same everywhere. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function mutate(original: Uint8Array, rnd: () => number): [string, Uint8Array] {
  const bytes = new Uint8Array(original);
  const at = () => Math.floor(rnd() * bytes.length);
  switch (Math.floor(rnd() * 4)) {
    case 0: {
      const flips = 1 + Math.floor(rnd() * 8);
      for (let i = 0; i < flips; i++) bytes[at()] ^= 1 << Math.floor(rnd() * 8);
      return [`${flips} bit flips`, bytes];
    }
    case 1: {
      const from = at();
      const length = 1 + Math.floor(rnd() * 64);
      bytes.fill(rnd() < 0.5 ? 0 : 0xff, from, from + length);
      return [`${length} bytes set from ${from}`, bytes];
    }
    case 2: {
      const from = at();
      const garbage = Uint8Array.from({ length: 1 + Math.floor(rnd() * 32) }, () => Math.floor(rnd() * 256));
      return [`${garbage.length} bytes inserted at ${from}`, new Uint8Array([...bytes.subarray(0, from), ...garbage, ...bytes.subarray(from)])];
    }
    default: {
      const length = Math.floor(rnd() * bytes.length);
      return [`cut to ${length} bytes`, bytes.subarray(0, length)];
    }
  }
}

describe(`decodeImage on mutated fixtures (seed ${SEED}, ${ROUNDS} mutants each)`, () => {
  for (const name of SEEDS) {
    it(name, async () => {
      const original = new Uint8Array(readFileSync(imagePath(name)));
      const rnd = random(SEED ^ [...name].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
      for (let round = 0; round < ROUNDS; round++) {
        const [what, bytes] = mutate(original, rnd);
        const label = `${name}, round ${round}: ${what}`;
        const started = performance.now();
        try {
          const img = await decodeImage(bytes);
          expect(img.data.length, label).toBe(img.width * img.height * 3);
          preprocess(img, VIT_BASE_PATCH16_384_PREPROCESS);
        } catch (error) {
          if (!(error instanceof ImageDecodeError)) throw new Error(`${label}: threw ${String(error)}`, { cause: error });
          expect(DOCUMENTED_CODES.has(error.code), `${label}: code ${error.code}`).toBe(true);
          expect(error.message, label).not.toContain('\n');
          expect(error.message.startsWith('<buffer>: '), label).toBe(true);
        }
        expect(performance.now() - started, label).toBeLessThan(TIME_LIMIT_MS);
      }
    });
  }
});
