// `node --import ./test/cli/record-builtins.mjs ...`: when the process (or a worker thread, which
// inherits the option) exits, appends the Node built-ins its thread loaded, one per line, to the
// file named by VIT_RECORD_BUILTINS. For the start-up test.
import { appendFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.VIT_RECORD_BUILTINS) appendFileSync(process.env.VIT_RECORD_BUILTINS, `${process.moduleLoadList.join('\n')}\n`);
});
