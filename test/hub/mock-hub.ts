/**
 * A fake Hugging Face hub for tests: two node:http servers on 127.0.0.1 with random ports.
 *
 * - "hub" (the endpoint): HEAD/GET /{org}/{name}/resolve/{rev}/{file}
 *     LFS files     -> 302 to the CDN, with X-Repo-Commit, X-Linked-Etag (sha256), X-Linked-Size, ETag
 *     small files   -> 200 with ETag = git blob sha1, X-Repo-Commit, Range support
 *     renamed repos -> 307 with a relative Location (/new-org/new-name/resolve/...)
 *     errors        -> 404 + X-Error-Code EntryNotFound / RepoNotFound / RevisionNotFound, 401 for private repos
 * - "cdn" (another origin, like cdn-lfs.huggingface.co): GET /blobs/{sha256} with Range support.
 *
 * Every request is recorded (server, method, path, headers). `faults` injects failures into the next
 * requests: 500s, dropped connections, a body cut after K bytes, Range ignored, wrong bytes, a stall.
 */
import { createHash, randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

export interface MockFile {
  content: Buffer;
  /** LFS files live on the CDN and are announced by sha256; others are served by the hub itself. */
  lfs: boolean;
}

export interface MockRepo {
  commit: string;
  files: Record<string, MockFile>;
  /** If set, requests need `Authorization: Bearer <token>` (a private repo). */
  token?: string;
}

export interface RecordedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface Faults {
  /** The next N requests (either server) answer 500. */
  serverErrors: number;
  /** The next N requests (either server) have their connection destroyed before any response. */
  dropConnections: number;
  /** The next `times` body transfers send `bytes` bytes, then the connection is destroyed. */
  resetAfter?: { bytes: number; times: number };
  /** Answer 200 with the whole file even when a Range was asked for. */
  ignoreRange: boolean;
  /** Serve bytes that differ from the real content (same length). */
  corrupt: boolean;
  /** The next `times` requests get no response for `ms` milliseconds. */
  stall?: { ms: number; times: number };
  /** The next `times` body transfers send `bytes` bytes, then nothing for `ms` milliseconds, then the rest. */
  stallAfter?: { bytes: number; ms: number; times: number };
  /** Sent as X-Repo-Commit instead of the repository's commit (a hostile or broken hub). */
  repoCommit?: string;
  /** Sent as X-Linked-Size instead of the LFS file's real size. */
  linkedSize?: string;
  /** Body transfers send `bytes` bytes every `intervalMs` (a slow but live link). */
  trickle?: { bytes: number; intervalMs: number };
  /** Error answers (401, 404, 500) echo the request's Authorization header in X-Error-Message. */
  echoAuthorization?: boolean;
}

export interface MockHubOptions {
  repos: Record<string, MockRepo>;
  /** Old repo id -> new repo id, answered with a relative redirect. */
  renamed?: Record<string, string>;
  /** X-Error-Code sent for missing repositories (the real hub sends RepoNotFound). */
  repoNotFoundCode?: string;
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** What git (and so the hub) uses as the etag of a non-LFS file. */
export const gitBlobSha1 = (data: Buffer): string =>
  createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

export const randomCommit = (): string => randomBytes(20).toString('hex');

export function lfsFile(content: Buffer): MockFile {
  return { content, lfs: true };
}

export function smallFile(content: string | Buffer): MockFile {
  return { content: Buffer.isBuffer(content) ? content : Buffer.from(content), lfs: false };
}

function freshFaults(): Faults {
  return { serverErrors: 0, dropConnections: 0, ignoreRange: false, corrupt: false };
}

export class MockHub {
  readonly requests: RecordedRequest[] = [];
  faults: Faults = freshFaults();
  endpoint = '';
  cdnOrigin = '';
  private readonly sockets = new Set<Socket>();
  private readonly hubServer: http.Server;
  private readonly cdnServer: http.Server;

  private constructor(private readonly options: MockHubOptions) {
    this.hubServer = http.createServer((req, res) => this.handle('hub', req, res));
    this.cdnServer = http.createServer((req, res) => this.handle('cdn', req, res));
    for (const server of [this.hubServer, this.cdnServer]) {
      server.on('connection', (socket) => {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
      });
    }
  }

  static async start(options: MockHubOptions): Promise<MockHub> {
    const hub = new MockHub(options);
    hub.endpoint = `http://127.0.0.1:${await listen(hub.hubServer)}`;
    hub.cdnOrigin = `http://127.0.0.1:${await listen(hub.cdnServer)}`;
    return hub;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([this.hubServer, this.cdnServer].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  resetFaults(): void {
    this.faults = freshFaults();
  }

  requestsTo(server: 'hub' | 'cdn', method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.server === server && (method === undefined || r.method === method));
  }

  /** GETs that carried file bytes (CDN blobs and direct hub files), in order. */
  bodyRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'GET');
  }

  private async handle(server: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push({ server, method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    const faults = this.faults;
    if (faults.stall && faults.stall.times > 0) {
      faults.stall.times--;
      await new Promise((resolve) => setTimeout(resolve, faults.stall?.ms ?? 0));
    }
    if (faults.dropConnections > 0) {
      faults.dropConnections--;
      req.socket.destroy();
      return;
    }
    if (faults.serverErrors > 0) {
      faults.serverErrors--;
      res.writeHead(500, this.errorHeaders(req, { 'Content-Type': 'text/plain' })).end('Internal Error');
      return;
    }
    if (server === 'cdn') this.handleCdn(req, res);
    else this.handleHub(req, res);
  }

  private handleCdn(req: IncomingMessage, res: ServerResponse): void {
    const sha = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/blobs\//, '');
    const file = Object.values(this.options.repos)
      .flatMap((repo) => Object.values(repo.files))
      .find((f) => f.lfs && sha256(f.content) === sha);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    this.serveBytes(req, res, file.content, { ETag: `"${sha}"` });
  }

  private handleHub(req: IncomingMessage, res: ServerResponse): void {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const match = pathname.match(/^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    const [, org, name, rawRevision, rawFile] = match;
    const repoId = `${org}/${name}`;
    const revision = decodeURIComponent(rawRevision);
    const file = rawFile.split('/').map(decodeURIComponent).join('/');

    const renamedTo = this.options.renamed?.[repoId];
    if (renamedTo) {
      res.writeHead(307, { Location: `/${renamedTo}/resolve/${rawRevision}/${rawFile}` }).end();
      return;
    }
    const repo = this.options.repos[repoId];
    if (!repo) {
      res.writeHead(404, this.errorHeaders(req, { 'X-Error-Code': this.options.repoNotFoundCode ?? 'RepoNotFound' })).end();
      return;
    }
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      res.writeHead(401, this.errorHeaders(req, { 'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Invalid username or password.' })).end();
      return;
    }
    if (revision !== 'main' && revision !== repo.commit) {
      res.writeHead(404, { 'X-Error-Code': 'RevisionNotFound' }).end();
      return;
    }
    const entry = repo.files[file];
    if (!entry) {
      res.writeHead(404, this.errorHeaders(req, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': this.faults.repoCommit ?? repo.commit })).end();
      return;
    }
    if (entry.lfs) {
      const sha = sha256(entry.content);
      res
        .writeHead(302, {
          Location: `${this.cdnOrigin}/blobs/${sha}?X-Amz-Signature=deadbeef`,
          'X-Repo-Commit': this.faults.repoCommit ?? repo.commit,
          'X-Linked-Etag': `"${sha}"`,
          'X-Linked-Size': this.faults.linkedSize ?? String(entry.content.length),
          // The ETag of the redirect itself is the git sha of the LFS pointer, not of the content.
          ETag: `"${gitBlobSha1(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\n`))}"`,
        })
        .end();
      return;
    }
    this.serveBytes(req, res, entry.content, { ETag: `"${gitBlobSha1(entry.content)}"`, 'X-Repo-Commit': this.faults.repoCommit ?? repo.commit });
  }

  private errorHeaders(req: IncomingMessage, headers: Record<string, string>): Record<string, string> {
    if (!this.faults.echoAuthorization) return headers;
    return { ...headers, 'X-Error-Message': `Refused credentials: ${req.headers.authorization ?? 'none'}` };
  }

  private serveBytes(req: IncomingMessage, res: ServerResponse, content: Buffer, headers: Record<string, string>): void {
    const faults = this.faults;
    const body = faults.corrupt ? Buffer.from(content.map((b) => b ^ 0xff)) : content;
    let start = 0;
    let status = 200;
    const range = req.headers.range?.match(/^bytes=(\d+)-$/);
    if (range && !faults.ignoreRange) {
      start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
      headers = { ...headers, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` };
    }
    const slice = body.subarray(start);
    res.writeHead(status, { ...headers, 'Content-Length': String(slice.length), 'Accept-Ranges': 'bytes' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const cut = faults.resetAfter;
    if (cut && cut.times > 0 && slice.length > cut.bytes) {
      cut.times--;
      // Hand the first bytes to the kernel, then kill the socket: the client sees a truncated body.
      // The short linger lets the client read them first: a stream that errors drops unread chunks.
      res.write(slice.subarray(0, cut.bytes), () => setTimeout(() => req.socket.destroy(), 100));
      return;
    }
    const trickle = faults.trickle;
    if (trickle) {
      let sent = 0;
      const sendNext = () => {
        if (res.destroyed) return;
        const next = slice.subarray(sent, sent + trickle.bytes);
        sent += next.length;
        if (sent >= slice.length) res.end(next);
        else res.write(next, () => setTimeout(sendNext, trickle.intervalMs));
      };
      sendNext();
      return;
    }
    const pause = faults.stallAfter;
    if (pause && pause.times > 0 && slice.length > pause.bytes) {
      pause.times--;
      res.flushHeaders(); // the headers go out even when no byte does
      res.write(slice.subarray(0, pause.bytes));
      setTimeout(() => {
        if (!res.destroyed) res.end(slice.subarray(pause.bytes));
      }, pause.ms);
      return;
    }
    res.end(slice);
  }
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** A port nothing listens on (bound then released), for "network blocked" tests. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A server that accepts TCP connections and never answers: a black-holed hub behind a broken proxy. */
export async function blackHole(): Promise<{ endpoint: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
