// The one error type image decoding throws: a stable `code` for programs and a one-line
// message for people that names the file and the problem (never a libvips error dump).

export type ImageDecodeErrorCode =
  | 'ENOENT' // no such file
  | 'EACCES' // not readable
  | 'EISDIR' // a directory, not a file
  | 'NOT_A_FILE' // a FIFO, socket or device: never read (it could block forever or never end)
  | 'INVALID_PATH' // a path no file can have (a NUL byte in it)
  | 'EMPTY' // zero bytes
  | 'UNSUPPORTED_FORMAT' // not an image, or a format the decoder does not know
  | 'TRUNCATED' // the image data ends early
  | 'CORRUPT' // the image data is invalid
  | 'TOO_LARGE' // more pixels than the limit (decompression-bomb guard), a side over 2^20, or a file over the byte limit
  | 'READ_FAILED'; // any other I/O or decoder failure

export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';

  constructor(
    readonly code: ImageDecodeErrorCode,
    /** The file path, or a label such as "<buffer>" for in-memory input. */
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A preprocessing config (timm's pretrained_cfg fields) that cannot be used: a RangeError, so a
 * caller may treat it as a bad argument, and its own class, so an application can report it as
 * a model-config problem rather than a bug.
 */
export class PreprocessConfigError extends RangeError {
  override readonly name = 'PreprocessConfigError';
}
