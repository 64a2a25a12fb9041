// Progress on stderr: an ora spinner when stderr is a terminal and --quiet is off; nothing
// otherwise, so that pipes and logs only ever see results and errors.

import ora, { type Ora } from 'ora';
import type { CliIO } from './io.js';

export interface Progress {
  update(text: string): void;
  /** Print a line that stays (above the spinner, if any). */
  note(text: string): void;
  stop(): void;
}

export function createProgress(io: CliIO, quiet: boolean): Progress {
  const interactive = io.stderr.isTTY === true && !quiet;
  if (!interactive) {
    return { update() {}, note() {}, stop() {} };
  }
  const spinner: Ora = ora({
    stream: io.stderr,
    isEnabled: true,
    // Reading file names from stdin (`-`) must not be swallowed by the spinner.
    discardStdin: false,
    color: process.env.NO_COLOR === undefined ? 'cyan' : false,
  }).start();
  return {
    update(text) {
      spinner.text = text;
      spinner.render(); // now, not at the next frame: a step can be shorter than a frame
    },
    note(text) {
      spinner.clear();
      io.stderr.write(`${text}\n`);
      spinner.render();
    },
    stop() {
      spinner.stop();
    },
  };
}
