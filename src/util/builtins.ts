// node:crypto and node:zlib, loaded when first used and as their CommonJS objects
// (process.getBuiltinModule, Node >= 20.16). The modules that use them (sha256 of cache keys,
// shards, downloads and tokens; the weight cache's checksums) are imported on every command's
// start-up path, the application layer's and the model host thread's, but most commands never
// call them: loading node:crypto costs ~5 ms on Node 24 on each thread that does it, and
// importing it as an ES module ~10 ms more (the ES wrapper reads every export, which loads
// WebCrypto).

import type * as Crypto from 'node:crypto';
import type * as Zlib from 'node:zlib';

export function crypto(): typeof Crypto {
  return process.getBuiltinModule('node:crypto');
}

export function zlib(): typeof Zlib {
  return process.getBuiltinModule('node:zlib');
}
