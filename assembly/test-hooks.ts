// Test-only exports: run one vector routine in place over a buffer, so tests can measure its
// accuracy point by point. A second entry file, compiled only by the test builds
// (asconfig.test.json: the shipped module's targets and flags plus this file, written to
// build/wasm/), so the shipped .wasm does not carry them.

import { exp4 } from './exp';
import { geluTile } from './gelu';

/** GELU in place on n floats (n a multiple of 4), through the GEMM epilogue's routine. */
export function gelu_n(p: usize, n: i32): void {
  geluTile(p, 0, 1, n);
}

/** exp in place on n floats (n a multiple of 4), softmax's routine. */
export function exp_n(p: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const at = p + (<usize>i << 2);
    v128.store(at, exp4(v128.load(at)));
  }
}
