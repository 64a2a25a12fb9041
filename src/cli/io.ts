// The CLI's streams, injectable so tests can run `main` in-process. Environment variables are
// read from process.env (commander's option defaults read it there too), so there is one source.

import type { Readable, Writable } from 'node:stream';

export type OutputStream = Writable & { isTTY?: boolean; columns?: number };

export interface CliIO {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: Readable;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
}
