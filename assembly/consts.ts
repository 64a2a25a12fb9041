// Constants of the vector math (exp, GELU) in a table in linear memory, read with one
// v128.load32_splat each. A v128 constant in code costs V8 11.3 three instructions (a 64-bit
// immediate, a move to xmm, a shuffle) at every use inside a loop; a broadcast load costs one.

// Slots (index into CONSTS).
export const K_LOG2E = 0;
export const K_LN2_HI = 1;
export const K_LN2_LO = 2;
export const K_E6 = 3;
export const K_E5 = 4;
export const K_E4 = 5;
export const K_E3 = 6;
export const K_HALF = 7;
export const K_ONE = 8;
export const K_ROUND = 9; // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits
export const K_EXP_BIAS = 10; // i32: 127 minus the bit pattern of K_ROUND, turns those bits into an exponent
export const K_EXP_MIN = 11; // below this n, 2^n is not a normal float: exp flushes to 0
export const K_CLAMP = 12;
export const K_ERFC_P = 13; // 0.6 / sqrt 2: p * z as a multiple of |x|
export const K_HI_MASK = 14; // i32: keeps 12 significant bits
export const K_NEG_HALF = 15;
export const K_C = 16; // C1 .. C11 at K_C + 0 .. K_C + 10

export const CONSTS: usize = memory.data<f32>([
  1.44269504, // log2(e)
  0.693145751953125, // ln2, high 16 bits
  1.4286068e-6, // ln2 - LN2_HI
  0.0013942617, // e^r polynomial, r^6 .. r^3
  0.0083664004,
  0.041666318,
  0.16666541,
  0.5,
  1.0,
  12582912.0,
  reinterpret<f32>(<i32>127 - 0x4b400000),
  -126.0,
  20.0,
  0.424264069, // 0.6 * 0.707106781
  reinterpret<f32>(<i32>0xfffff000),
  -0.5,
  -0.8806323, // C1 .. C11 of erfc's P(s)
  -0.37121662,
  -0.004955737,
  0.12555572,
  0.03977775,
  0.27258328,
  -0.71813065,
  1.2361162,
  -1.4859741,
  0.92771775,
  -0.22404079,
], 16);

@inline export function k(slot: i32): v128 {
  return v128.load32_splat(CONSTS + (<usize>slot << 2));
}
