// Which instructions the relaxed build's int8 kernels form their dot products with
// (assembly/gemm_i8.ts, dotAdd). Both give the same integers, so the choice is speed only:
//   fused  i32x4.relaxed_dot_i8x16_i7x16_add_s. V8 lowers it to one vpdpbusd on an x64 CPU with
//          AVX-VNNI (from V8 13 at the latest; Node 20's 11.3 does not) and to one sdot on ARM
//          with the dot-product extension; elsewhere on x64 to five instructions.
//   split  i16x8.relaxed_dot_i8x16_i7x16_s, i32x4.extadd_pairwise_i16x8_s, i32x4.add: three
//          instructions on x64 (pmaddubsw, pmaddwd against a constant in memory, paddd), where
//          V8's five rebuild a constant of ones every time. Without AVX-VNNI: 1.2-1.5x the fused
//          dot's peak, and the int8 forward pass in 0.85-0.93x the time (README, int8 speed).
// The rule: split on x64 unless the CPU has AVX-VNNI and V8 is 13 or later; fused elsewhere, and
// on x64 when the CPU's flags are unknown (not Linux): the choice that is never far off. The
// facts come from the caller (src/app/start-backend.ts reads the flags): the core does no I/O.

export const INT8_DOTS = ['fused', 'split'] as const;
export type Int8Dot = (typeof INT8_DOTS)[number];

/** The first V8 major version known to lower the fused dot to AVX-VNNI (mid-2024, after Node 22's 12.4). */
export const V8_MAJOR_WITH_VNNI_DOT = 13;

export interface Int8DotFacts {
  /** process.arch */
  arch: string;
  /** process.versions.v8 */
  v8: string;
  /** The CPU's feature flags as Linux names them (/proc/cpuinfo), or undefined when unknown. */
  cpuFlags: ReadonlySet<string> | undefined;
}

/** The dot sequence for these facts, and why (for benchmark headers). */
export function chooseInt8Dot(facts: Int8DotFacts): { dot: Int8Dot; reason: string } {
  if (facts.arch !== 'x64') return { dot: 'fused', reason: `${facts.arch}: one instruction where the CPU has a dot product` };
  if (facts.cpuFlags === undefined) return { dot: 'fused', reason: "x64, the CPU's flags unknown" };
  const v8Major = Number.parseInt(facts.v8, 10);
  if (!facts.cpuFlags.has('avx_vnni')) return { dot: 'split', reason: 'x64 without AVX-VNNI' };
  if (!(v8Major >= V8_MAJOR_WITH_VNNI_DOT)) return { dot: 'split', reason: `AVX-VNNI, but V8 ${facts.v8} does not use it` };
  return { dot: 'fused', reason: `AVX-VNNI, used by V8 ${facts.v8}` };
}
