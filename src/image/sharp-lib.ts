// sharp (libvips), loaded on first use: its native library and JavaScript take 0.05-0.1 s to
// load, which a command that never touches pixels (vit info, verify, --help) should not pay, and
// which `vit classify` pays while the model's weights load in their own thread, not before.
//
// It is required as CommonJS: sharp ships both builds, and Node loads the CommonJS one in about
// half the time (Node 20: 0.05 s against 0.1 s for the ES module build, whose graph of modules
// goes through the ES module loader; Node 24: 0.05 s against 0.06 s, and the ES build imports
// node:crypto as an ES module, which loads WebCrypto).

import { createRequire } from 'node:module';
import type sharpFunction from 'sharp';

export type Sharp = typeof sharpFunction;

const require = createRequire(import.meta.url);
let loading: Promise<Sharp> | undefined;

/** The sharp module's default export (one load, shared by every caller; a failed load rejects). */
export function loadSharp(): Promise<Sharp> {
  loading ??= new Promise<Sharp>((resolve) => resolve(require('sharp') as Sharp));
  return loading;
}
