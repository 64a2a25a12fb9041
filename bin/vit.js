#!/usr/bin/env node
// Thin shim: the CLI lives in the compiled library (npm install / npm ci builds dist/).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
