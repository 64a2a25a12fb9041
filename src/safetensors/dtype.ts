// Element types of the safetensors format and their conversion to float32.

/** Every dtype the format defines, with its size in bytes (sub-byte types are not in the format). */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

/** The dtypes this project can turn into float32 weights. */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type FloatDtype = (typeof FLOAT_DTYPES)[number];

export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return (FLOAT_DTYPES as readonly string[]).includes(dtype);
}

/** IEEE half -> float32, including subnormals, infinities and NaN. */
export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * Decode `count` little-endian elements of a float dtype from `bytes` into `dest`.
 * F32 through a DataView so any alignment works; the zero-copy path is the caller's.
 */
export function decodeFloats(dtype: FloatDtype, bytes: Uint8Array, dest: Float32Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dest.length;
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) dest[i] = view.getFloat32(i * 4, true);
      return;
    case 'F16':
      for (let i = 0; i < count; i++) dest[i] = f16ToF32(view.getUint16(i * 2, true));
      return;
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift it back into place.
      const widened = new Uint32Array(dest.buffer, dest.byteOffset, count);
      for (let i = 0; i < count; i++) widened[i] = view.getUint16(i * 2, true) << 16;
      return;
    }
  }
}
