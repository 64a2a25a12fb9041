// Reading the control block (protocol.ts gives the slots): its i32 slots by number, and the job
// arguments that start at slot CTRL_ARGS.

import { CTRL_ARGS } from './protocol';

/** Byte address of control-block slot `slot` (slots are 4 bytes). */
@inline export function ctrlSlot(ctrl: usize, slot: i32): usize {
  return ctrl + (<usize>slot << 2);
}

@inline export function ctrlInt(ctrl: usize, slot: i32): i32 {
  return load<i32>(ctrlSlot(ctrl, slot));
}

@inline export function arg(ctrl: usize, index: i32): i32 {
  return load<i32>(ctrlSlot(ctrl, CTRL_ARGS + index));
}

@inline export function argPtr(ctrl: usize, index: i32): usize {
  return <usize>load<u32>(ctrlSlot(ctrl, CTRL_ARGS + index));
}

@inline export function argF32(ctrl: usize, index: i32): f32 {
  return load<f32>(ctrlSlot(ctrl, CTRL_ARGS + index));
}
