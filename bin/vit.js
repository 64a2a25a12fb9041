#!/usr/bin/env node
// Thin shim: the CLI lives in the compiled library (npm install / npm ci builds dist/).
import { main } from '../dist/cli/main.js';

// `vit ... | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await main(process.argv.slice(2));
