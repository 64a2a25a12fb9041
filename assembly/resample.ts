// The two passes of Pillow's 8-bit resize (src/image/resample.ts, the reference, says what they
// compute and why) with WebAssembly SIMD. This is a module of its own, apart from the model's
// kernels (assembly/index.ts): the main thread instantiates it on a small unshared memory of its
// own (src/image/resample-wasm.ts), and it needs nothing but plain SIMD.
//
// The arithmetic is the reference's, in i32: each output sample is half of 2^bits plus the sum of
// its taps' weight x uint8 products, shifted right by `bits` and clamped to 0..255 (`bits`, the
// weights' fraction bits, comes from the caller: src/image/resample-job.ts, PRECISION_BITS).
// i32 adds and multiplies wrap modulo 2^32, so the sum equals ToInt32 of the reference's exact
// sum (the sum is exact in a double there, and `>>` takes ToInt32 first), whatever the order of
// the taps. The bytes are therefore the reference's, and the tests hold the two to each other.
//
//   horizontal: each output pixel's R, G and B in lanes 0-2 of one i32x4. A tap loads 4 bytes (the
//               pixel and the next one's R, which lane 3 discards), so the caller leaves 1 byte
//               readable after the source.
//   vertical:   16 bytes of a row at a time, in four i32x4 accumulators; the same weight for all of
//               them. The tail of a row that is not a multiple of 16 bytes is done one byte at a time.

/** Where memory past the module's own static data begins: the caller's buffers go there. */
export function heap_base(): usize {
  return __heap_base;
}

/** Lanes shifted right by `bits` and clamped to 0..255 (Pillow's clip8), as 16 bytes. */
@inline function clip8x16(a: v128, b: v128, c: v128, d: v128, bits: i32): v128 {
  // Saturating narrows: i32 -> i16 keeps every shifted value (|v| < 2^10), i16 -> u8 clamps.
  const lo = i16x8.narrow_i32x4_s(i32x4.shr_s(a, bits), i32x4.shr_s(b, bits));
  const hi = i16x8.narrow_i32x4_s(i32x4.shr_s(c, bits), i32x4.shr_s(d, bits));
  return i8x16.narrow_i16x8_u(lo, hi);
}

@inline function clip8(acc: i32, bits: i32): u8 {
  const v = acc >> bits;
  return <u8>(v < 0 ? 0 : v > 255 ? 255 : v);
}

/** The 4 bytes at p as i32 lanes. */
@inline function widen4(p: usize): v128 {
  return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
}

/**
 * Horizontal pass over `rows` rows of RGB bytes at `src` (rows `srcStride` bytes apart): output
 * pixel xx of a row (`width` of them, written 3 bytes each, rows packed at `out`) reads count[xx]
 * pixels from pixel start[xx] with the weights at weights[xx * ksize], `bits` fraction bits. Tables
 * are i32.
 */
export function horizontal(src: usize, srcStride: i32, rows: i32, out: usize, width: i32, ksize: i32, start: usize, count: usize, weights: usize, bits: i32): void {
  const half = i32x4.splat(1 << (bits - 1));
  const zero = i32x4.splat(0);
  let o = out;
  for (let y = 0; y < rows; y++) {
    const row = src + <usize>y * <usize>srcStride;
    for (let xx = 0; xx < width; xx++) {
      const n = load<i32>(count + (<usize>xx << 2));
      let p = row + <usize>load<i32>(start + (<usize>xx << 2)) * 3;
      let w = weights + (<usize>xx * <usize>ksize << 2);
      // Two accumulators, two taps a step: the adds of one do not wait on the other's.
      let even = half;
      let odd = zero;
      let x = 0;
      for (; x + 2 <= n; x += 2) {
        even = i32x4.add(even, i32x4.mul(widen4(p), i32x4.splat(load<i32>(w))));
        odd = i32x4.add(odd, i32x4.mul(widen4(p + 3), i32x4.splat(load<i32>(w, 4))));
        p += 6;
        w += 8;
      }
      if (x < n) even = i32x4.add(even, i32x4.mul(widen4(p), i32x4.splat(load<i32>(w))));
      const sum = i32x4.add(even, odd);
      const bytes = clip8x16(sum, sum, sum, sum, bits);
      store<u16>(o, i16x8.extract_lane_u(bytes, 0));
      store<u8>(o, i8x16.extract_lane_u(bytes, 2), 2);
      o += 3;
    }
  }
}

/**
 * Vertical pass: output row yy (`rows` of them, `rowBytes` bytes each, packed at `out`) reads
 * count[yy] rows from row start[yy] - rowOffset of `src` (rows `srcStride` bytes apart, each
 * read from its first byte for `rowBytes` bytes) with the weights at weights[yy * ksize], `bits`
 * fraction bits.
 */
export function vertical(src: usize, srcStride: i32, rowOffset: i32, out: usize, rowBytes: i32, rows: i32, ksize: i32, start: usize, count: usize, weights: usize, bits: i32): void {
  const half = i32x4.splat(1 << (bits - 1));
  const stride = <usize>srcStride;
  for (let yy = 0; yy < rows; yy++) {
    const n = load<i32>(count + (<usize>yy << 2));
    const first = src + <usize>(load<i32>(start + (<usize>yy << 2)) - rowOffset) * stride;
    const w = weights + (<usize>yy * <usize>ksize << 2);
    const o = out + <usize>yy * <usize>rowBytes;
    let i = 0;
    for (; i + 16 <= rowBytes; i += 16) {
      let a = half;
      let b = half;
      let c = half;
      let d = half;
      let p = first + <usize>i;
      for (let t = 0; t < n; t++) {
        const k = i32x4.splat(load<i32>(w + (<usize>t << 2)));
        const v = v128.load(p);
        const lo = i16x8.extend_low_i8x16_u(v);
        const hi = i16x8.extend_high_i8x16_u(v);
        a = i32x4.add(a, i32x4.mul(i32x4.extend_low_i16x8_u(lo), k));
        b = i32x4.add(b, i32x4.mul(i32x4.extend_high_i16x8_u(lo), k));
        c = i32x4.add(c, i32x4.mul(i32x4.extend_low_i16x8_u(hi), k));
        d = i32x4.add(d, i32x4.mul(i32x4.extend_high_i16x8_u(hi), k));
        p += stride;
      }
      v128.store(o + <usize>i, clip8x16(a, b, c, d, bits));
    }
    for (; i < rowBytes; i++) {
      let acc: i32 = 1 << (bits - 1);
      let p = first + <usize>i;
      for (let t = 0; t < n; t++) {
        acc += <i32>load<u8>(p) * load<i32>(w + (<usize>t << 2));
        p += stride;
      }
      store<u8>(o + <usize>i, clip8(acc, bits));
    }
  }
}
