// Reading job arguments out of the control block (protocol.ts gives the slots).

import { CTRL_ARGS } from './protocol';

@inline export function arg(ctrl: usize, index: i32): i32 {
  return load<i32>(ctrl + ((<usize>(CTRL_ARGS + index)) << 2));
}

@inline export function argPtr(ctrl: usize, index: i32): usize {
  return <usize>load<u32>(ctrl + ((<usize>(CTRL_ARGS + index)) << 2));
}

@inline export function argF32(ctrl: usize, index: i32): f32 {
  return load<f32>(ctrl + ((<usize>(CTRL_ARGS + index)) << 2));
}
