// Module entry: the job runner that every thread calls, plus the protocol constants (exported as
// globals so a test can check the host's generated copy against a build). Test-only exports live
// in test-hooks.ts, which only the test builds (asconfig.test.json) compile in.
//
// run(ctrl, tid): claim work units of the job described in the control block at `ctrl` through an
// atomic counter until none are left. The main thread and every worker call it for each job, so
// the threads split the work without a message per unit.

import { ctrlInt, ctrlSlot } from './args';
import { attentionUnit } from './attention_unit';
import { copyUnit } from './copy';
import { gemmUnit } from './gemm';
import { gemmI8Unit } from './gemm_i8';
import { CTRL_COUNTER, CTRL_OP, CTRL_UNITS, OP_ATTENTION, OP_ATTENTION_I8, OP_COPY, OP_GEMM, OP_GEMM_I8, OP_LAYERNORM, OP_PACK, OP_PACK_I8, OP_QUANTIZE } from './protocol';
import { quantizeUnit } from './quantize';
import { layerNormUnit } from './layernorm';
import { packUnit } from './pack';
import { packI8Unit } from './pack_i8';

export * from './protocol';
export { MR, NR } from './microkernel';
export { QK } from './quantize';
export { attention_i8_scratch_bytes } from './attention_i8';
export { count_non_finite } from './non_finite';

/** Whether this build's micro-kernel uses relaxed-SIMD fused multiply-add. */
export const RELAXED_SIMD: bool = ASC_FEATURE_RELAXED_SIMD;

export function run(ctrl: usize, tid: i32): void {
  const op = ctrlInt(ctrl, CTRL_OP);
  const units = ctrlInt(ctrl, CTRL_UNITS);
  const counter = ctrlSlot(ctrl, CTRL_COUNTER);
  for (;;) {
    const unit = atomic.add<i32>(counter, 1);
    if (unit >= units) return;
    if (op == OP_GEMM) gemmUnit(ctrl, tid, unit);
    else if (op == OP_ATTENTION) attentionUnit(ctrl, tid, unit, false);
    else if (op == OP_LAYERNORM) layerNormUnit(ctrl, unit);
    else if (op == OP_PACK) packUnit(ctrl, unit);
    else if (op == OP_GEMM_I8) gemmI8Unit(ctrl, tid, unit);
    else if (op == OP_QUANTIZE) quantizeUnit(ctrl, unit);
    else if (op == OP_COPY) copyUnit(ctrl, unit);
    else if (op == OP_PACK_I8) packI8Unit(ctrl, unit);
    else if (op == OP_ATTENTION_I8) attentionUnit(ctrl, tid, unit, true);
    else unreachable();
  }
}

/** First byte past the module's static data: the host allocates from here up. */
export function heap_base(): usize {
  return __heap_base;
}
