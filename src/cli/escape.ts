// Text from files and the network (file names, label names from a hub config, messages quoting
// them) is printed with its control characters escaped, so that none can move the cursor, clear
// the screen or forge a line of output on a terminal: ESC becomes \x1b, a newline inside a name
// \n. JSON output needs nothing: JSON.stringify escapes control characters already.

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One line of text, every control character (C0, DEL, C1) written as an escape. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Several lines: each escaped, the line breaks between them kept. */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeControl).join('\n');
}
