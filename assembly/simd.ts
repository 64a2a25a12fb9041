// The one arithmetic primitive that differs between the two builds: a*b + c. The relaxed build
// (ASC_FEATURE_RELAXED_SIMD) uses f32x4.relaxed_madd, which V8 lowers to vfmadd231ps on FMA
// hardware; the plain build multiplies then adds. The choice is made at compile time.

@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
