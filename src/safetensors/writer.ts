// Writing safetensors files: for tests, fixtures and `vit preprocess`. Tensors are written
// sorted by name, as hub files are, with the header padded by spaces to an 8-byte boundary so
// that F32 data is aligned when the file is mapped.

import { DTYPE_BYTES } from './dtype.js';

export interface TensorToWrite {
  readonly shape: readonly number[];
  /** Float32 data (written as F32) or raw little-endian bytes of `dtype`. */
  readonly data: Float32Array | Uint8Array;
  readonly dtype?: string;
}

export function encodeSafetensors(
  tensors: Readonly<Record<string, TensorToWrite>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  let offset = 0;
  const payloads: Uint8Array[] = [];
  for (const name of names) {
    const t = tensors[name];
    const dtype = t.dtype ?? (t.data instanceof Float32Array ? 'F32' : 'U8');
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const numel = t.shape.reduce((n, d) => n * d, 1);
    if (numel * (DTYPE_BYTES[dtype] ?? NaN) !== bytes.byteLength) {
      throw new Error(`encodeSafetensors: '${name}' has shape [${t.shape.join(', ')}] of ${dtype} but ${bytes.byteLength} bytes`);
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    payloads.push(bytes);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const p of payloads) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
