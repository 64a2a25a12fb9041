import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  encodeSafetensors,
  MAX_HEADER_BYTES,
  SafetensorsBuffer,
  SafetensorsError,
  SafetensorsFileReader,
} from '../../src/safetensors/index.js';

/** A file made by hand: an 8-byte length, the header text as given, then `data`. */
function handMade(headerText: string, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + header.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(header.byteLength), true);
  out.set(header, 8);
  out.set(data, 8 + header.byteLength);
  return out;
}

function parseError(bytes: Uint8Array): SafetensorsError {
  try {
    SafetensorsBuffer.parse(bytes, 'bad.safetensors');
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return e as SafetensorsError;
  }
  throw new Error('expected the file to be rejected');
}

const f32 = (n: number) => ({ dtype: 'F32', shape: [n] });

describe('safetensors round trip', () => {
  it('writes sorted names, padded header, and reads back zero-copy views', () => {
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    const b = new Float32Array([-1.5]);
    const bytes = encodeSafetensors({ zeta: { shape: [2, 3], data: a }, alpha: { shape: [1], data: b } }, { format: 'pt' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(Object.keys(header)).toEqual(['__metadata__', 'alpha', 'zeta']);
    expect(header.alpha.data_offsets).toEqual([0, 4]);

    const file = SafetensorsBuffer.parse(bytes);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.info('zeta').shape).toEqual([2, 3]);
    const zeta = file.float32('zeta');
    expect([...zeta]).toEqual([...a]);
    expect(zeta.buffer).toBe(bytes.buffer); // a view, not a copy
  });

  it('copies misaligned F32 data instead of failing', () => {
    const bytes = encodeSafetensors({ x: { shape: [3], data: new Float32Array([0.25, -2, 7]) } });
    const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1);
    shifted.set(bytes);
    const x = SafetensorsBuffer.parse(shifted).float32('x');
    expect([...x]).toEqual([0.25, -2, 7]);
    expect(x.buffer).not.toBe(shifted.buffer);
  });

  it('converts F16 and BF16 to F32', () => {
    // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 2^-24 = 0x0001
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]).buffer);
    // BF16: 1.0 = 0x3f80, -3.5 = 0xc060, pi ~ 0x4049 = 3.140625
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc060, 0x4049]).buffer);
    const bytes = encodeSafetensors({
      h: { shape: [4], data: f16, dtype: 'F16' },
      b: { shape: [3], data: bf16, dtype: 'BF16' },
    });
    const file = SafetensorsBuffer.parse(bytes);
    expect([...file.float32('h')]).toEqual([1, -2, 65504, 2 ** -24]);
    expect([...file.float32('b')]).toEqual([1, -3.5, 3.140625]);
  });

  it('reads tensors from disk into caller memory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    const path = join(dir, 'm.safetensors');
    const w = Float32Array.from({ length: 10 }, (_, i) => i * 0.5);
    const h = new Uint8Array(new Uint16Array([0x3c00, 0x4000]).buffer);
    writeFileSync(path, encodeSafetensors({ w: { shape: [2, 5], data: w }, h: { shape: [2], data: h, dtype: 'F16' } }));
    const reader = SafetensorsFileReader.open(path);
    try {
      const dest = new Float32Array(12).subarray(2);
      reader.readInto('w', dest);
      expect([...dest]).toEqual([...w]);
      expect([...reader.read('h')]).toEqual([1, 2]);
      expect(() => reader.readInto('w', new Float32Array(3))).toThrow(/destination holds 3 floats, the tensor has 10/);
      expect(() => reader.read('nope')).toThrow(/tensor 'nope': no such tensor/);
    } finally {
      reader.close();
    }
  });

  it('allows zero-element tensors and an empty file', () => {
    const file = SafetensorsBuffer.parse(encodeSafetensors({ empty: { shape: [0, 4], data: new Float32Array(0) } }));
    expect(file.float32('empty').length).toBe(0);
    expect(SafetensorsBuffer.parse(encodeSafetensors({})).names).toEqual([]);
  });
  it('reads a header whose length starts with the bytes of a pickle (0x80 0x02: 640 bytes)', () => {
    const bytes = handMade('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'.padEnd(640, ' '), new Uint8Array(new Float32Array([7]).buffer));
    expect([...bytes.subarray(0, 2)]).toEqual([0x80, 0x02]);
    expect([...SafetensorsBuffer.parse(bytes, 'x.safetensors').float32('a')]).toEqual([7]);
  });
});

describe('safetensors validation: each rule has its own error', () => {
  const fourFloats = new Uint8Array(16);

  it('rejects a file shorter than the length prefix', () => {
    expect(parseError(new Uint8Array(5)).message).toMatch(/^bad\.safetensors: truncated: the file has 5 bytes/);
  });

  it('rejects a huge header length', () => {
    const e = parseError(handMade('{}', new Uint8Array(), BigInt(MAX_HEADER_BYTES) + 1n));
    expect(e.message).toMatch(/header length 100000001 exceeds the 100000000-byte limit/);
  });

  it('rejects a header length past the end of the file', () => {
    expect(parseError(handMade('{}', new Uint8Array(), 500n)).message).toMatch(/header length 500 runs past the end of the file \(10 bytes\)/);
  });

  it('rejects bad JSON and non-objects', () => {
    expect(parseError(handMade('{"a": ')).message).toMatch(/header is not valid JSON/);
    expect(parseError(handMade('[1, 2]')).message).toMatch(/must be a JSON object starting with '\{'/);
  });

  it('rejects invalid UTF-8', () => {
    const bytes = handMade('{"x":1}');
    bytes[10] = 0xff;
    expect(parseError(bytes).message).toMatch(/header is not valid UTF-8/);
  });

  it('rejects metadata with a non-string value', () => {
    const e = parseError(handMade('{"__metadata__": {"epoch": 3}}'));
    expect(e.message).toMatch(/__metadata__ value for 'epoch' must be a string, found 3/);
  });

  it('rejects duplicate keys', () => {
    const header = `{"w": ${JSON.stringify({ ...f32(2), data_offsets: [0, 8] })}, "w": ${JSON.stringify({ ...f32(2), data_offsets: [8, 16] })}}`;
    const e = parseError(handMade(header, fourFloats));
    expect(e.tensor).toBe('w');
    expect(e.message).toMatch(/tensor 'w': duplicate key/);
  });

  it('rejects an unknown dtype', () => {
    const e = parseError(handMade(JSON.stringify({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }), fourFloats));
    expect(e.message).toMatch(/tensor 'w': unknown dtype "F128"/);
  });

  it('rejects a known but unsupported dtype when the tensor is read', () => {
    const file = SafetensorsBuffer.parse(handMade(JSON.stringify({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }), fourFloats));
    expect(() => file.float32('ids')).toThrow(/tensor 'ids': dtype I64 is not supported \(use F32, F16 or BF16\)/);
  });

  it('rejects entries with missing or extra fields', () => {
    expect(parseError(handMade(JSON.stringify({ w: { dtype: 'F32', shape: [4] } }), fourFloats)).message).toMatch(
      /tensor 'w': entry must have exactly the fields dtype, shape, data_offsets; found dtype, shape/,
    );
    const extra = { w: { ...f32(4), data_offsets: [0, 16], note: 'x' } };
    expect(parseError(handMade(JSON.stringify(extra), fourFloats)).message).toMatch(/found data_offsets, dtype, note, shape/);
  });

  it('rejects negative or fractional shapes', () => {
    const e = parseError(handMade(JSON.stringify({ w: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }), fourFloats));
    expect(e.message).toMatch(/shape must be an array of non-negative integers, found \[-4\]/);
  });

  it('rejects a size that does not match the shape', () => {
    const e = parseError(handMade(JSON.stringify({ w: { ...f32(3), data_offsets: [0, 16] } }), fourFloats));
    expect(e.message).toMatch(/tensor 'w': size mismatch: shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 16\] hold 16/);
  });

  it('computes sizes without overflow', () => {
    const huge = { w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 16] } };
    expect(parseError(handMade(JSON.stringify(huge), fourFloats)).message).toMatch(/needs 4835703278458516698824704 bytes/);
  });

  it('rejects overlapping offsets', () => {
    const header = { a: { ...f32(3), data_offsets: [0, 12] }, b: { ...f32(2), data_offsets: [8, 16] } };
    const e = parseError(handMade(JSON.stringify(header), fourFloats));
    expect(e.message).toMatch(/tensor 'b': data_offsets \[8, 16\] overlap the previous tensor, which ends at 12/);
  });

  it('rejects a hole between tensors', () => {
    const header = { a: { ...f32(1), data_offsets: [0, 4] }, b: { ...f32(2), data_offsets: [8, 16] } };
    const e = parseError(handMade(JSON.stringify(header), fourFloats));
    expect(e.message).toMatch(/tensor 'b': data_offsets \[8, 16\] leave a hole: the previous tensor ends at 4/);
  });

  it('rejects a hole at the start', () => {
    const e = parseError(handMade(JSON.stringify({ a: { ...f32(2), data_offsets: [8, 16] } }), fourFloats));
    expect(e.message).toMatch(/leave a hole: the previous tensor ends at 0/);
  });

  it('rejects trailing bytes after the last tensor', () => {
    const e = parseError(handMade(JSON.stringify({ a: { ...f32(2), data_offsets: [0, 8] } }), fourFloats));
    expect(e.message).toMatch(/data section has 16 bytes but the tensors cover only 8 \(trailing bytes\)/);
  });

  it('rejects a truncated data section', () => {
    const e = parseError(handMade(JSON.stringify({ a: { ...f32(8), data_offsets: [0, 32] } }), fourFloats));
    expect(e.message).toMatch(/truncated: the tensors need 32 bytes of data but the file holds 16/);
  });

  it('validates the header of a file on disk before reading any data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    const path = join(dir, 'cut.safetensors');
    const good = encodeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
    writeFileSync(path, good.subarray(0, good.byteLength - 3));
    expect(() => SafetensorsFileReader.open(path)).toThrow(new RegExp(`^${path}: truncated: the tensors need 16 bytes of data but the file holds 13`));
    writeFileSync(path, good.subarray(0, 4));
    expect(() => SafetensorsFileReader.open(path)).toThrow(/truncated: the file has 4 bytes, fewer than the 8-byte header length/);
  });
});
