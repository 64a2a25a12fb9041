#!/usr/bin/env node
// Thin shim: the CLI lives in the compiled library (npm install / npm ci builds dist/).
import { guardOutputStreams, main } from '../dist/cli/main.js';

// `vit ... | head` closing the pipe is the reader's choice, not an error; a full disk is exit 74.
guardOutputStreams((code) => process.exit(code));

process.exitCode = await main(process.argv.slice(2));
