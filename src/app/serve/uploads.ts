// The images of one /v1/classify request: the raw body (one image, named "body"), or each file
// of a multipart/form-data body (named by its filename, else its field name). The names are the
// client's own, so a record never shows a path of the server.

import type { FastifyRequest } from 'fastify';
import type { Upload } from './pipeline.js';
import { RequestError } from './status.js';

/** The record name of an image sent as the whole body. */
export const BODY_NAME = 'body';

export const MEDIA_TYPES_HELP = 'send one image as the body with Content-Type image/* or application/octet-stream, or several as multipart/form-data';

/** Reads the request's images; a multipart body's files may add up to `maxBodyBytes` at most. */
export async function readUploads(request: FastifyRequest, maxBodyBytes: number): Promise<Upload[]> {
  if (!request.isMultipart()) {
    if (!(request.body instanceof Uint8Array)) throw new RequestError('UNSUPPORTED_MEDIA_TYPE', `no image: ${MEDIA_TYPES_HELP}`);
    return [{ file: BODY_NAME, bytes: request.body }];
  }
  const uploads: Upload[] = [];
  let total = 0;
  for await (const part of request.parts()) {
    if (part.type !== 'file') continue;
    const bytes = await part.toBuffer();
    total += bytes.length;
    if (total > maxBodyBytes) throw new RequestError('BODY_TOO_LARGE', `the files add up to more than the limit of ${maxBodyBytes} bytes`);
    uploads.push({ file: part.filename || part.fieldname || `file ${uploads.length + 1}`, bytes });
  }
  if (uploads.length === 0) throw new RequestError('NO_IMAGES', 'the multipart body holds no file');
  return uploads;
}
