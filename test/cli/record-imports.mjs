// `node --import ./test/cli/record-imports.mjs ...`: appends the URL of every module the process
// imports (ES module resolution) or requires (CommonJS resolution: sharp is required) to the file
// named by VIT_RECORD_IMPORTS. For the start-up test.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';

register('./record-imports-hooks.mjs', import.meta.url);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args);
  if (process.env.VIT_RECORD_IMPORTS && isAbsolute(file)) appendFileSync(process.env.VIT_RECORD_IMPORTS, `${pathToFileURL(file).href}\n`);
  return file;
};
