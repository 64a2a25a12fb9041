// `node --import ./test/cli/record-imports.mjs ...`: appends the URL of every module the process
// imports (ES module resolution) to the file named by VIT_RECORD_IMPORTS. For the start-up test.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url);
