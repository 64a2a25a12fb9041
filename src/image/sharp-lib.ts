// sharp (libvips), loaded on first use: its native library and JavaScript take about 0.1 s to
// load, which a command that never touches pixels (vit info, verify, --help) should not pay, and
// which `vit classify` pays while the model's weights load in their own thread, not before.

import type sharpFunction from 'sharp';

export type Sharp = typeof sharpFunction;

let loading: Promise<Sharp> | undefined;

/** The sharp module's default export (one import, shared by every caller). */
export function loadSharp(): Promise<Sharp> {
  loading ??= import('sharp').then((module) => module.default);
  return loading;
}
