// `vit serve` as a library: startServer(options) -> { url, ready, close() }, for the command line
// and for a Node service that embeds it. fastify and prom-client are imported when a server
// starts, not when the application layer loads (they would slow every other command's start).

import type { RunningServer, ServeOptions } from './options.js';

export { ListenError } from './listen-error.js';
export type { RunningServer, ServeOptions } from './options.js';
export type { ImageRecord, Upload } from './pipeline.js';
export { IMAGE_ERROR_STATUS, REQUEST_ERROR_STATUS, statusOfCode, type RequestErrorCode } from './status.js';

/** Listen on options.host:port, then load options.model; see ServeOptions and RunningServer. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const server = await import('./server.js');
  return server.startServer(options);
}
