// Progress on stderr: an ora spinner when stderr is a terminal and --quiet is off; nothing
// otherwise, so that pipes and logs only ever see results and errors.

import type { Ora } from 'ora';
import { escapeControl } from './escape.js';
import type { CliIO } from './io.js';

export interface Progress {
  update(text: string): void;
  /** Print a line that stays (above the spinner, if any). */
  note(text: string): void;
  /** Print a warning line: shown even when quiet or not a terminal. */
  warn(text: string): void;
  stop(): void;
}

/** ora is imported only when a spinner is shown (a terminal, not --quiet). */
export async function createProgress(io: CliIO, quiet: boolean): Promise<Progress> {
  const interactive = io.stderr.isTTY === true && !quiet;
  if (!interactive) {
    return { update() {}, note() {}, warn: (text) => io.stderr.write(`${escapeControl(text)}\n`), stop() {} };
  }
  const { default: ora } = await import('ora');
  const spinner: Ora = ora({
    stream: io.stderr,
    isEnabled: true,
    // Reading file names from stdin (`-`) must not be swallowed by the spinner.
    discardStdin: false,
    color: process.env.NO_COLOR === undefined ? 'cyan' : false,
  }).start();
  function show(text: string): void {
    spinner.clear();
    io.stderr.write(`${escapeControl(text)}\n`);
    spinner.render();
  }
  return {
    update(text) {
      spinner.text = escapeControl(text);
      spinner.render(); // now, not at the next frame: a step can be shorter than a frame
    },
    note: show,
    warn: show,
    stop() {
      spinner.stop();
    },
  };
}
