// Where a setting came from, for messages about it: an option's value may be the command line's,
// an environment variable's (commander's .env()) or the default, and an error about it names what
// the user actually set ("VIT_INT8_ATTENTION=qk", not a flag they never typed).

import type { Command } from 'commander';

/** The command whose parsed options each options object is (set by main.ts before every action). */
const commands = new WeakMap<object, Command>();

/** Remember `command` as the owner of its parsed options object (the one its action receives). */
export function rememberOptionSources(command: Command): void {
  commands.set(command.opts(), command);
}

/**
 * How to name the setting `key` of `opts` in a message: "--precision int8", "VIT_PRECISION=int8"
 * when the value came from that variable, "--precision fp32 (the default)" when nobody set it.
 * Options objects made by hand (tests, the library) are named by their flags.
 */
export function settingOf(opts: object, key: string, flag: string): string {
  const value = String((opts as Record<string, unknown>)[key]);
  const command = commands.get(opts);
  const source = command?.getOptionValueSource(key);
  const envVar = command?.options.find((option) => option.attributeName() === key)?.envVar;
  if (source === 'env' && envVar !== undefined) return `${envVar}=${value}`;
  return source === 'default' ? `${flag} ${value} (the default)` : `${flag} ${value}`;
}
