// Feature files (app/features-file.ts): the .npy encoder against NumPy's format spec, by hand.

import { describe, expect, it } from 'vitest';
import { encodeNpy, FeatureRows } from '../../src/app/features-file.js';

describe('encodeNpy', () => {
  it("one dimension: the shape is Python's one-element tuple (3,); values little-endian float32", () => {
    const bytes = Buffer.from(encodeNpy(new Float32Array([1, -2, 0.5]), [3]));
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"; // 57 bytes: 10 + 57 + 60 spaces + 1 = 128
    expect(dict).toHaveLength(57);
    expect(bytes.subarray(0, 10)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]));
    expect(bytes.subarray(10, 128).toString('latin1')).toBe(`${dict}${' '.repeat(60)}\n`);
    // 1.0 = 0x3f800000, -2.0 = 0xc0000000, 0.5 = 0x3f000000, least significant byte first
    expect(bytes.subarray(128)).toEqual(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f]));
  });

  it('no rows: shape (0, 4) and no data', () => {
    const bytes = Buffer.from(encodeNpy(new Float32Array(0), [0, 4]));
    expect(bytes.length % 64).toBe(0);
    expect(bytes.toString('latin1')).toContain("'shape': (0, 4), }");
    expect(bytes[bytes.length - 1]).toBe(0x0a);
  });

  it('refuses data that does not fill the shape', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/shape \[2, 3\] holds 6 values, received 5/);
  });
});

describe('FeatureRows', () => {
  it('refuses a row of the wrong width', () => {
    expect(() => new FeatureRows(4).add('a.jpg', new Float32Array(3))).toThrow(/a\.jpg: 3 features, expected 4/);
  });
});
