// node:crypto and node:zlib as their CommonJS objects (process.getBuiltinModule, Node >= 20.16),
// not as ES modules. Importing a built-in as an ES module builds a wrapper that reads every one of
// its exports: on Node 24 that loads WebCrypto for node:crypto (~10 ms, on each thread that does
// it). The modules that use these sit on every command's start-up path (the application layer on
// the main thread, the loader on the model's host thread), so they take them from here.

export const crypto = process.getBuiltinModule('node:crypto');
export const zlib = process.getBuiltinModule('node:zlib');
