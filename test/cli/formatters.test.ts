// Number formatting for embed's ndjson: the shortest decimal that reads back as the same float32.

import { describe, expect, it } from 'vitest';
import { float32Text } from '../../src/cli/formatters.js';

describe('float32Text', () => {
  // Seeded xorshift32 over all bit patterns of finite float32 values (every exponent, subnormals too).
  let state = 0x9e3779b9;
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  const values: number[] = [0, 1, -1, 0.1, 1e-45, 3.4028234663852886e38, 16777217, 0.3];
  while (values.length < 5_000) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bits[0] = state >>> 0;
    if (Number.isFinite(asFloat[0])) values.push(asFloat[0]);
  }
  const floats = values.map(Math.fround);

  it('reads back as the same float32, and no shorter decimal does', () => {
    for (const x of floats) {
      const text = float32Text(x);
      expect(Math.fround(Number(text)), text).toBe(x === 0 ? 0 : x); // -0 prints as 0
      const digits = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
      if (digits > 1) expect(Math.fround(Number(x.toPrecision(digits - 1))), `${x} -> ${text}`).not.toBe(x);
    }
  });

  it('is valid JSON', () => {
    for (const x of floats.slice(0, 2000)) expect(JSON.parse(float32Text(x))).toBe(Number(float32Text(x)));
  });

  it('examples', () => {
    expect(float32Text(Math.fround(0.1))).toBe('0.1');
    expect(float32Text(Math.fround(1 / 3))).toBe('0.33333334');
    expect(float32Text(1e-45)).toBe('1e-45');
    expect(float32Text(16777216)).toBe('16777216');
  });
});
