// A server that could not start listening (the port is taken, the address is not this machine's,
// a port below 1024 without the right): a problem with the host and port asked for.

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use',
  EADDRNOTAVAIL: 'the address is not one of this machine',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  ENOTFOUND: 'no such host',
};

export class ListenError extends Error {
  override name = 'ListenError';
  constructor(host: string, port: number, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code ?? '';
    super(`cannot listen on ${host}:${port}: ${REASONS[code] ?? (code || String(cause))}`, { cause });
  }
}
