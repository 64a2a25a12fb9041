// One job of the queue: its data ({ input, topk }), its id, and how an image's error travels as
// the job's failure reason. A job's id is a hash of what it asks (the absolute path and topk), so
// enqueueing the same image twice adds one job; its return value is the record
// `vit classify --format ndjson` prints for that image; a failed job's reason is "CODE: message"
// with classify's error codes.

import { crypto } from '../../util/builtins.js';
import type { InputError } from '../inputs.js';
import { MAX_PATH_BYTES } from '../inputs.js';
import type { Prediction } from '../predictions.js';

/** What a job asks: classify the image at `input` (an absolute path), its `topk` classes (default 5). */
export interface ImageJobData {
  input: string;
  topk?: number;
}

/** A job's result: classify's ndjson record for its image. */
export type ImageJobRecord = { file: string; predictions: Prediction[] } | { file: string; error: InputError };

/** The classes a job gets when its data names none (as classify's --topk). */
export const DEFAULT_TOPK = 5;

/** The job's id: the same image and topk always get the same id (BullMQ then adds no second job). */
export function jobIdOf(data: ImageJobData): string {
  const hash = crypto().createHash('sha256').update(JSON.stringify([data.input, data.topk ?? DEFAULT_TOPK])).digest('hex');
  // Not all digits (BullMQ refuses integer ids), no ':' (a Redis key separator).
  return `img-${hash.slice(0, 40)}`;
}

/**
 * The job's data as a worker may use it, or the BAD_JOB error naming what is wrong: a job added
 * by another producer may hold anything.
 */
export function checkJobData(data: unknown, classes: number): { input: string; topk: number } | InputError {
  const bad = (why: string): InputError => ({ code: 'BAD_JOB', message: `job data: ${why}; expected { "input": "<image path>", "topk"?: 1..${classes} }` });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return bad('not an object');
  const { input, topk } = data as Record<string, unknown>;
  if (typeof input !== 'string' || input === '') return bad('"input" is not a non-empty string');
  if (Buffer.byteLength(input) > MAX_PATH_BYTES) return bad(`"input" is longer than ${MAX_PATH_BYTES} bytes`);
  if (topk !== undefined && !(Number.isInteger(topk) && (topk as number) >= 1 && (topk as number) <= classes)) {
    return bad(`"topk" is ${JSON.stringify(topk).slice(0, 20)}, not an integer in 1..${classes}`);
  }
  return { input, topk: (topk as number | undefined) ?? Math.min(DEFAULT_TOPK, classes) };
}

/** The failure reason a failed job carries for an image's error: "CODE: message". */
export function failureReasonOf(error: InputError): string {
  return `${error.code}: ${error.message}`;
}

/**
 * The error record for a failed job: its code and message back from "CODE: message"; a reason
 * not made by a worker of ours (BullMQ's "job stalled more than allowable limit", an unexpected
 * error after its last attempt) is JOB_FAILED with the reason as the message.
 */
export function errorOfFailure(file: string, reason: string | undefined): { file: string; error: InputError } {
  const m = /^([A-Z][A-Z0-9_]{1,40}): ([\s\S]*)$/.exec(reason ?? '');
  if (m !== null) return { file, error: { code: m[1], message: m[2] } };
  return { file, error: { code: 'JOB_FAILED', message: `${file}: the job failed: ${reason ?? 'no reason given'}` } };
}
