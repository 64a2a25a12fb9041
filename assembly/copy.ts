// Copying bytes into place on every thread: restoring packed weights from a cache file, whose
// chunks the host reads into staging while the threads copy the previous chunk into the arena.
// The copy itself is cheap; what it spreads over the threads is the first touch of the arena's
// fresh pages (page faults), which dominates a load.
// One work unit = COPY_BYTES_PER_UNIT consecutive bytes (the last unit: what is left).

import { arg, argPtr } from './args';
import { COPY_BYTES, COPY_BYTES_PER_UNIT, COPY_DST, COPY_SRC } from './protocol';

export function copyUnit(ctrl: usize, unit: i32): void {
  const bytes = arg(ctrl, COPY_BYTES);
  const perUnit = arg(ctrl, COPY_BYTES_PER_UNIT);
  const start = unit * perUnit;
  const n = min(perUnit, bytes - start);
  if (n <= 0) return;
  memory.copy(argPtr(ctrl, COPY_DST) + <usize>start, argPtr(ctrl, COPY_SRC) + <usize>start, <usize>n);
}
