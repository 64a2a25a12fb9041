// The one table from an error code to an HTTP status, for `vit serve`. Per-image codes are the
// ones classify writes in its records (ImageDecodeError codes, NONFINITE); the others are about
// the request itself. A code not listed is a bug and answers 500 without details.

import type { ImageDecodeErrorCode } from '../../image/index.js';

/** Per-image problems: the image, not the server, is at fault (4xx). */
export const IMAGE_ERROR_STATUS: Readonly<Record<ImageDecodeErrorCode | 'NONFINITE', number>> = {
  UNSUPPORTED_FORMAT: 415, // not an image, or a format the decoder does not know
  CORRUPT: 422, // invalid image data
  TRUNCATED: 422, // the image data ends early
  EMPTY: 422, // zero bytes
  READ_FAILED: 422, // any other decoder failure
  TOO_LARGE: 413, // more pixels than --max-pixels
  NONFINITE: 422, // the model's output for this image holds NaN or infinity: nothing can be ranked
  // Only reading a file gives these, and the server reads no files: seeing one is a bug.
  ENOENT: 500,
  EACCES: 500,
  EISDIR: 500,
  NOT_A_FILE: 500,
  INVALID_PATH: 500,
};

/** Problems with the request as a whole. */
export const REQUEST_ERROR_STATUS = {
  BAD_REQUEST: 400, // a malformed request (fastify's own checks)
  BAD_TOPK: 400, // ?topk= not an integer in 1..classes
  NO_IMAGES: 400, // a multipart request without a file
  UNAUTHORIZED: 401, // VIT_SERVE_TOKEN is set and the bearer token is missing or wrong
  NOT_FOUND: 404,
  BODY_TOO_LARGE: 413, // a body (or one multipart file) over --max-body-mb
  TOO_MANY_IMAGES: 413, // more files in one request than --max-queue: it could never be admitted
  UNSUPPORTED_MEDIA_TYPE: 415, // Content-Type is not image/*, application/octet-stream or multipart/form-data
  INTERNAL: 500, // a bug; the message says nothing more
  NOT_READY: 503, // the model is still loading (or failed to load)
  QUEUE_FULL: 503, // --max-queue images are already admitted; Retry-After says when to try again
  TIMEOUT: 503, // not answered within --timeout-ms (the server is overloaded); Retry-After as well
  SHUTTING_DOWN: 503, // the server is closing
} as const;

export type RequestErrorCode = keyof typeof REQUEST_ERROR_STATUS;

/** The HTTP status of an error code (500 for one that is not in the tables). */
export function statusOfCode(code: string): number {
  return (IMAGE_ERROR_STATUS as Record<string, number>)[code] ?? (REQUEST_ERROR_STATUS as Record<string, number>)[code] ?? 500;
}

/** An error that ends a request with one of the request-level codes. */
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    readonly code: RequestErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return REQUEST_ERROR_STATUS[this.code];
  }
}
