// Resuming an ndjson run that was stopped (killed, a node lost): the output file itself is the
// record of what is done. Opening it reads every complete line; inputs with a result record
// ({file, predictions} from classify, {file, features} from embed) are done and skipped, inputs
// with only error records ({file, error}) are tried again (a missing file may have appeared, a
// permission been fixed). New records are appended to the same file, each as one write of one
// whole line, so the file is always complete lines plus at most a partial last one; a partial
// last line (a kill in the middle of a write) is cut off on opening, before anything is appended.
//
// The file is append-only: an input tried again keeps its earlier error records, so a reader
// takes an input's result record if it has one, else its last error record. Inputs are matched by
// their path exactly as the `file` field shows it, so resume with the same input arguments.

import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { outputError, ResumeFileError } from './errors.js';

/** The largest file --resume reads (split larger runs with --shard), and its longest line. */
export const MAX_RESUME_BYTES = 4 * 2 ** 30;
export const MAX_RESUME_LINE_BYTES = 16 * 2 ** 20;

export { ResumeFileError };

/** An open output file being resumed. */
export interface ResumeLog {
  readonly path: string;
  /** The inputs with a result record: done, not to be run again. */
  readonly done: ReadonlySet<string>;
  /** Error records read: their inputs (unless also done) are tried again. */
  readonly errors: number;
  /** Bytes of a partial last line that were cut off (0: the file ended with a whole line). */
  readonly truncated: number;
  /** Append one record: `line` is a whole ndjson line, ending in a line feed. */
  append(line: string): void;
  close(): void;
}

/**
 * Open `path` for resuming (created if it does not exist), reading its records: `result` is the
 * field a result record of this command has ('predictions' for classify, 'features' for embed).
 * A file that cannot be opened or written is an OutputError (exit 74); one too large, with a
 * line too long, or with a line that is not such a record is a ResumeFileError.
 */
export function openResumeLog(path: string, result: 'predictions' | 'features'): ResumeLog {
  let fd: number;
  try {
    fd = openSync(path, 'a+');
  } catch (e) {
    throw outputError(path, 'the results', e);
  }
  try {
    const { done, errors, complete, size } = readRecords(fd, path, result);
    if (complete < size) {
      try {
        ftruncateSync(fd, complete);
      } catch (e) {
        throw outputError(path, 'the results', e);
      }
    }
    return log(fd, path, { done, errors, truncated: size - complete });
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function log(fd: number, path: string, read: { done: Set<string>; errors: number; truncated: number }): ResumeLog {
  let open = true;
  return {
    path,
    ...read,
    append(line) {
      if (!open) throw new Error(`ResumeLog.append: ${path} is closed`);
      const bytes = Buffer.from(line, 'utf8');
      try {
        // One write of the whole line; a regular file takes it all unless the disk is full, and
        // then the next write fails (the partial line it left is cut off by the next resume).
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      } catch (e) {
        throw outputError(path, 'the results', e);
      }
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

const CHUNK = 1 << 20;

/** The records of the file's complete lines, and where the last complete line ends. */
function readRecords(fd: number, path: string, result: string): { done: Set<string>; errors: number; complete: number; size: number } {
  const { size } = fstatSync(fd);
  if (size > MAX_RESUME_BYTES) throw new ResumeFileError(`${path}: ${size} bytes, more than --resume reads (${MAX_RESUME_BYTES}); split the run with --shard or start a new file`);
  const done = new Set<string>();
  let errors = 0;
  let lineNumber = 0;
  let complete = 0; // the offset just after the last line feed
  let pending: Buffer[] = []; // the bytes of the line not yet ended
  let pendingBytes = 0;
  const chunk = Buffer.allocUnsafe(CHUNK);
  for (let position = 0; position < size; ) {
    const n = readSync(fd, chunk, 0, Math.min(CHUNK, size - position), position);
    if (n === 0) break;
    let start = 0;
    for (let end = chunk.indexOf(0x0a, 0); end !== -1 && end < n; end = chunk.indexOf(0x0a, start)) {
      if (pendingBytes + end - start > MAX_RESUME_LINE_BYTES) throw lineTooLong(path, lineNumber + 1);
      const line = Buffer.concat([...pending, chunk.subarray(start, end)]).toString('utf8');
      pending = [];
      pendingBytes = 0;
      lineNumber++;
      const record = recordOf(line, path, lineNumber, result);
      if (record === 'error') errors++;
      else if (record !== undefined) done.add(record);
      start = end + 1;
      complete = position + start;
    }
    if (start < n) {
      pending.push(Buffer.from(chunk.subarray(start, n)));
      pendingBytes += n - start;
      if (pendingBytes > MAX_RESUME_LINE_BYTES) throw lineTooLong(path, lineNumber + 1);
    }
    position += n;
  }
  return { done, errors, complete, size };
}

function lineTooLong(path: string, line: number): ResumeFileError {
  return new ResumeFileError(`${path}: line ${line} is longer than ${MAX_RESUME_LINE_BYTES} bytes: not a record of vit's ndjson output`);
}

/** The file of a result record, 'error' for an error record, undefined for a blank line. */
function recordOf(line: string, path: string, number: number, result: string): string | 'error' | undefined {
  if (line.trim() === '') return undefined;
  const bad = (why: string) => new ResumeFileError(`${path}: line ${number}: ${why}; --resume takes the ndjson output of the same command`);
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    throw bad('not JSON');
  }
  if (typeof record !== 'object' || record === null || typeof (record as { file?: unknown }).file !== 'string') throw bad('not a record with a "file"');
  if ('error' in record) return 'error';
  if (!(result in record)) throw bad(`neither a {"file", "${result}"} result nor a {"file", "error"} record`);
  return (record as { file: string }).file;
}
