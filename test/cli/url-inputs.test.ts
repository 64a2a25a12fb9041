// vit classify / embed with http(s) URLs among the inputs, against a real server on 127.0.0.1:
// a URL's image gives the same record as the same file; every way a URL can fail (status,
// redirects, size, time, a bad URL) is that input's error record and the others keep their
// results; a body that never ends is cut at the limit (the server sees the client stop);
// fetches overlap but at most four at once; --resume, --shard and stdin treat a URL as its string.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../src/app/shard.js';
import { IMAGES, isolateHub, ROOT, runBin, runInProcess, TINY_WEIGHTS } from './run.js';

isolateHub();

const CAT = readFileSync(join(IMAGES, 'cat.jpg'));
const COFFEE = readFileSync(join(IMAGES, 'coffee.png'));
const TLS = join(ROOT, 'test', 'fixtures', 'tls');
const MIB = 2 ** 20;

/** What the test server saw. */
const seen = {
  hits: new Map<string, number>(),
  authorization: new Map<string, string | undefined>(),
  inFlight: 0,
  maxInFlight: 0,
  /** /forever: bytes written before the client went away, and whether it did. */
  foreverBytes: 0,
  foreverClosed: Promise.resolve(),
};

function handle(req: IncomingMessage, res: ServerResponse, base: () => string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  seen.hits.set(req.url ?? '', (seen.hits.get(req.url ?? '') ?? 0) + 1);
  seen.authorization.set(path, req.headers.authorization);
  const image = (bytes: Buffer, length = true) => {
    res.writeHead(200, { 'Content-Type': 'image/jpeg', ...(length ? { 'Content-Length': bytes.length } : {}) });
    res.end(bytes);
  };
  if (path === '/cat.jpg') return image(CAT);
  if (path === '/coffee.png') return image(COFFEE);
  if (path === '/chunked/cat.jpg') return image(CAT, false);
  if (path === '/not-an-image.jpg') return image(Buffer.from('<html>hello</html>'));
  if (path === '/slow/cat.jpg') {
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    setTimeout(() => {
      seen.inFlight--;
      image(CAT);
    }, 150);
    return;
  }
  const hops = /^\/redirect\/(\d+)$/.exec(path);
  if (hops !== null) {
    const n = Number(hops[1]);
    res.writeHead(n === 0 ? 301 : 302, { Location: n === 0 ? '/cat.jpg' : `/redirect/${n - 1}` });
    return void res.end();
  }
  if (path === '/loop') {
    res.writeHead(302, { Location: '/loop' });
    return void res.end();
  }
  if (path === '/to-ftp') {
    res.writeHead(302, { Location: 'ftp://127.0.0.1/cat.jpg' });
    return void res.end();
  }
  if (path === '/to-other') {
    // Elsewhere: another origin (the second server) must not get the URL's user name and password.
    res.writeHead(302, { Location: `${base()}/cat.jpg` });
    return void res.end();
  }
  if (path === '/auth/cat.jpg') {
    const expected = `Basic ${Buffer.from('user:p@ss word').toString('base64')}`;
    if (req.headers.authorization === expected) return image(CAT);
    res.writeHead(401, { 'WWW-Authenticate': 'Basic' });
    return void res.end();
  }
  if (path === '/announced-huge') {
    res.writeHead(200, { 'Content-Length': 100 * MIB });
    res.write(Buffer.alloc(1024));
    return; // never ends: the client must refuse on the header alone
  }
  if (path === '/forever') {
    // An endless body without Content-Length, written as fast as the client reads it.
    res.writeHead(200, { 'Content-Type': 'image/jpeg' });
    const chunk = Buffer.alloc(64 * 1024, 0xff);
    let closed: () => void = () => undefined;
    seen.foreverBytes = 0;
    seen.foreverClosed = new Promise((resolve) => (closed = resolve));
    res.on('close', () => closed());
    const pump = () => {
      while (!res.destroyed) {
        seen.foreverBytes += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
    return;
  }
  if (path === '/gzip-bomb') {
    // 8 MiB once decompressed, a few KiB on the wire: the limit counts the bytes after decoding.
    const body = gzipSync(Buffer.alloc(8 * MIB));
    res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': body.length });
    return void res.end(body);
  }
  if (path === '/no-headers') return; // never answers
  if (path === '/stall') {
    res.writeHead(200, { 'Content-Length': CAT.length });
    res.write(CAT.subarray(0, 100)); // then nothing
    return;
  }
  if (path === '/trickle') {
    res.writeHead(200, { 'Content-Length': CAT.length });
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || sent >= CAT.length) return clearInterval(timer);
      res.write(CAT.subarray(sent, sent + 1));
      sent++;
    }, 50);
    res.on('close', () => clearInterval(timer));
    return;
  }
  if (path === '/to-http') {
    res.writeHead(302, { Location: `${httpBase}/cat.jpg` });
    return void res.end();
  }
  res.writeHead(404);
  res.end('not found');
}

let server: Server;
let other: Server;
let secure: Server;
let httpBase = '';
let otherBase = '';
let httpsBase = '';
let closedBase = '';
const u = (path: string) => `${httpBase}${path}`;

async function listen(s: Server, scheme = 'http'): Promise<string> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `${scheme}://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  server = createServer((req, res) => handle(req, res, () => otherBase));
  other = createServer((req, res) => handle(req, res, () => otherBase));
  secure = createHttpsServer({ key: readFileSync(join(TLS, 'key.pem')), cert: readFileSync(join(TLS, 'cert.pem')) }, (req, res) => handle(req, res, () => otherBase));
  httpBase = await listen(server);
  otherBase = await listen(other);
  httpsBase = await listen(secure, 'https');
  const closed = createServer();
  closedBase = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(async () => {
  for (const s of [server, other, secure]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const base = ['--weights', TINY_WEIGHTS, '--format', 'ndjson', '--quiet'];
type Rec = { file: string; predictions?: unknown; features?: number[]; error?: { code: string; message: string } };
const records = (stdout: string): Rec[] =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Rec);
const codes = (stdout: string) => records(stdout).map((r) => r.error?.code ?? 'ok');

describe('URL inputs', () => {
  it('a URL gives the record of the same local file (with and without Content-Length, after redirects)', async () => {
    const local = records((await runInProcess(['classify', join(IMAGES, 'cat.jpg'), ...base])).stdout)[0];
    expect(local.predictions).toBeDefined();
    // /redirect/4: five redirects, the most followed.
    const urls = [u('/cat.jpg'), u('/chunked/cat.jpg'), u('/redirect/4'), `${otherBase}/cat.jpg`];
    const run = await runInProcess(['classify', ...urls, ...base]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const got = records(run.stdout);
    expect(got.map((r) => r.file)).toEqual(urls);
    for (const r of got) expect(r.predictions).toEqual(local.predictions);
  }, 60_000);

  it('every failure is its own error record, in input order, and the others keep their results (exit 1)', async () => {
    const inputs = [
      u('/missing.jpg'),
      join(IMAGES, 'cat.jpg'),
      u('/redirect/5'), // six redirects: one too many
      u('/loop'),
      u('/coffee.png'),
      u('/to-ftp'),
      u('/not-an-image.jpg'),
      'http://', // no host
      join(IMAGES, 'no-such-image.jpg'),
      `${closedBase}/cat.jpg`, // nothing listens
      'http://127.0.0.1:25/cat.jpg', // a port fetch never connects to
      u('/cat.jpg'),
    ];
    const run = await runInProcess(['classify', ...inputs, ...base, '--batch-size', '3']);
    expect(run.code).toBe(1);
    expect(codes(run.stdout)).toEqual([
      'URL_HTTP_STATUS',
      'ok',
      'URL_FETCH_FAILED',
      'URL_FETCH_FAILED',
      'ok',
      'URL_FETCH_FAILED',
      'UNSUPPORTED_FORMAT',
      'INVALID_URL',
      'ENOENT',
      'URL_FETCH_FAILED',
      'URL_FETCH_FAILED',
      'ok',
    ]);
    const messages = records(run.stdout).map((r) => r.error?.message ?? '');
    expect(messages[0]).toBe(`${u('/missing.jpg')}: HTTP 404 Not Found`);
    expect(messages[2]).toBe(`${u('/redirect/5')}: more than 5 redirects`);
    expect(messages[3]).toBe(`${u('/loop')}: more than 5 redirects`);
    expect(messages[5]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/to-ftp: HTTP 302 redirect to ftp:\/\/127\.0\.0\.1\/cat\.jpg: not a plain http\(s\) URL$/);
    // Decoding errors name the URL, not "<buffer>".
    expect(messages[6]).toMatch(new RegExp(`^${u('/not-an-image.jpg').replace(/\./g, '\\.')}: `));
    expect(messages[7]).toBe('"http://": not a usable URL: it does not parse');
    expect(messages[9]).toBe(`${closedBase}/cat.jpg: could not reach ${closedBase.slice('http://'.length)} (ECONNREFUSED)`);
    expect(messages[10]).toBe('http://127.0.0.1:25/cat.jpg: could not reach 127.0.0.1:25 (bad port)');
    expect(run.stderr).toBe('');
  }, 60_000);

  it('a body over --url-max-mb is URL_TOO_LARGE: refused on its Content-Length, or cut as it streams, the server seeing the client stop', async () => {
    const run = await runInProcess(['classify', u('/announced-huge'), u('/forever'), u('/cat.jpg'), u('/gzip-bomb'), ...base, '--url-max-mb', '1']);
    expect(codes(run.stdout)).toEqual(['URL_TOO_LARGE', 'URL_TOO_LARGE', 'ok', 'URL_TOO_LARGE']);
    const [announced, endless, , bomb] = records(run.stdout).map((r) => r.error?.message);
    expect(bomb).toBe(`${u('/gzip-bomb')}: more than ${MIB} bytes arrived, over the limit of ${MIB} bytes (--url-max-mb)`);
    expect(announced).toBe(`${u('/announced-huge')}: the server announces ${100 * MIB} bytes, over the limit of ${MIB} bytes (--url-max-mb)`);
    expect(endless).toBe(`${u('/forever')}: more than ${MIB} bytes arrived, over the limit of ${MIB} bytes (--url-max-mb)`);
    // The endless body stopped being read: the connection closed, after about the limit (plus
    // what the sockets buffer), not after whatever the server could send in the meantime.
    await seen.foreverClosed;
    expect(seen.foreverBytes).toBeGreaterThan(MIB);
    expect(seen.foreverBytes).toBeLessThan(MIB + 16 * MIB);
  }, 60_000);

  it('a server that answers nothing, or stops in the middle, is URL_TIMEOUT after --url-timeout; a trickle after --url-max-time', async () => {
    const start = Date.now();
    const run = await runInProcess(['classify', u('/no-headers'), u('/stall'), u('/trickle'), u('/cat.jpg'), ...base, '--url-timeout', '0.4', '--url-max-time', '1.5']);
    const elapsed = Date.now() - start;
    expect(codes(run.stdout)).toEqual(['URL_TIMEOUT', 'URL_TIMEOUT', 'URL_TIMEOUT', 'ok']);
    const messages = records(run.stdout).map((r) => r.error?.message);
    expect(messages[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/no-headers: 127\.0\.0\.1:\d+ sent nothing for 0\.4 s \(--url-timeout\)$/);
    expect(messages[1]).toMatch(/\/stall: 127\.0\.0\.1:\d+ sent nothing for 0\.4 s \(--url-timeout\)$/);
    expect(messages[2]).toBe(`${u('/trickle')}: not downloaded within 1.5 s (--url-max-time)`);
    // Fetched at the same time, so the run takes about the longest limit, not their sum.
    expect(elapsed).toBeLessThan(10_000);
  }, 60_000);

  it('fetches overlap, at most four at once, and the records keep input order', async () => {
    seen.maxInFlight = 0;
    const urls = Array.from({ length: 10 }, (_, i) => u(`/slow/cat.jpg?i=${i}`));
    const run = await runInProcess(['classify', ...urls, ...base, '--batch-size', '8']);
    expect(run.code).toBe(0);
    expect(records(run.stdout).map((r) => r.file)).toEqual(urls);
    expect(seen.maxInFlight).toBe(4);
  }, 60_000);

  it('a user name and password go as Basic authorization to the URL\'s origin only, and are never shown', async () => {
    const withCredentials = u('/auth/cat.jpg').replace('http://', 'http://user:p%40ss%20word@');
    const wrong = u('/auth/cat.jpg').replace('http://', 'http://user:hunter2@');
    const redirected = u('/to-other').replace('http://', 'http://user:hunter2@');
    const run = await runInProcess(['classify', withCredentials, wrong, redirected, ...base]);
    expect(codes(run.stdout)).toEqual(['ok', 'URL_HTTP_STATUS', 'ok']);
    const got = records(run.stdout);
    expect(got.map((r) => r.file)).toEqual([u('/auth/cat.jpg'), u('/auth/cat.jpg'), u('/to-other')].map((x) => x.replace('http://', 'http://***@')));
    expect(got[1].error?.message).toBe(`${u('/auth/cat.jpg').replace('http://', 'http://***@')}: HTTP 401 Unauthorized`);
    expect(run.stdout + run.stderr).not.toMatch(/hunter2|p%40ss|p@ss/);
    expect(seen.authorization.get('/to-other')).toBe(`Basic ${Buffer.from('user:hunter2').toString('base64')}`);
    // The redirect went to the other server (another origin): no authorization there.
    expect(seen.authorization.get('/cat.jpg')).toBeUndefined();
  }, 60_000);

  it("messages mask the query's values; the record's file keeps the URL as given", async () => {
    const signed = u('/missing.jpg?X-Amz-Signature=s3cr3t&plain');
    const run = await runInProcess(['classify', signed, ...base]);
    const [record] = records(run.stdout);
    expect(record.file).toBe(signed);
    expect(record.error?.message).toBe(`${u('/missing.jpg')}?X-Amz-Signature=***&***: HTTP 404 Not Found`);
  }, 60_000);

  it('only http:// and https:// are URLs: anything else is a path', async () => {
    const run = await runInProcess(['classify', 'http:/cat.jpg', 'ftp://127.0.0.1/cat.jpg', 'file:///etc/passwd', ...base]);
    expect(codes(run.stdout)).toEqual(['ENOENT', 'ENOENT', 'ENOENT']);
    expect(records(run.stdout)[0].error?.message).toBe('http:/cat.jpg: no such file or directory');
  }, 60_000);

  it('URLs read from stdin (lines and -0) are fetched like arguments', async () => {
    const urls = [u('/cat.jpg'), u('/missing.jpg'), u('/coffee.png')];
    const listed = await runInProcess(['classify', ...urls, ...base]);
    const lines = await runInProcess(['classify', '-', ...base], { stdin: `${urls.join('\n')}\n` });
    const nul = await runInProcess(['classify', '-', '-0', ...base], { stdin: urls.join('\0') });
    expect(codes(listed.stdout)).toEqual(['ok', 'URL_HTTP_STATUS', 'ok']);
    expect(lines.stdout).toBe(listed.stdout);
    expect(nul.stdout).toBe(listed.stdout);
  }, 60_000);

  it('embed: a URL gives the features of the same file', async () => {
    const local = records((await runInProcess(['embed', join(IMAGES, 'coffee.png'), '--weights', TINY_WEIGHTS, '--quiet'])).stdout)[0];
    const run = await runInProcess(['embed', u('/coffee.png'), u('/missing.jpg'), '--weights', TINY_WEIGHTS, '--quiet']);
    expect(run.code).toBe(1);
    const [got, missing] = records(run.stdout);
    expect(got.file).toBe(u('/coffee.png'));
    expect(got.features).toEqual(local.features);
    expect(missing.error?.code).toBe('URL_HTTP_STATUS');
  }, 60_000);

  it('--resume skips the URLs done (not fetched again) and tries the failed ones again', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vit-url-resume-')), 'out.ndjson');
    const done = u('/cat.jpg?resume=1');
    const failing = u('/missing.jpg?resume=1');
    writeFileSync(out, '');
    const first = await runInProcess(['classify', done, failing, ...base, '--resume', out]);
    expect(first.code).toBe(1);
    const second = await runInProcess(['classify', done, failing, ...base, '--resume', out]);
    expect(second.code).toBe(1);
    expect(records(readFileSync(out, 'utf8')).map((r) => [r.file, r.error?.code ?? 'ok'])).toEqual([
      [done, 'ok'],
      [failing, 'URL_HTTP_STATUS'],
      [failing, 'URL_HTTP_STATUS'],
    ]);
    expect(seen.hits.get('/cat.jpg?resume=1')).toBe(1);
    expect(seen.hits.get('/missing.jpg?resume=1')).toBe(2);
  }, 60_000);

  it('--shard splits URLs by a hash of the URL string: every URL once, none fetched by another shard', async () => {
    // The URLs hash with the server's random port in them, so 8 fixed names fall all in one
    // shard once in 128 runs. Pick them so that each shard gets 4: the split is still the code's.
    const picked: string[][] = [[], []];
    for (let i = 0; picked[0].length < 4 || picked[1].length < 4; i++) {
      const url = u(`/cat.jpg?shard=${i}`);
      const side = picked[shardOf(url, 2)];
      if (side.length < 4) side.push(url);
    }
    const urls = [...picked[0], ...picked[1]].sort();
    const all: string[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await runInProcess(['classify', ...urls, ...base, '--shard', `${i}/2`]);
      expect(run.code).toBe(0);
      const mine = records(run.stdout).map((r) => r.file);
      expect([...mine].sort()).toEqual([...picked[i]].sort());
      all.push(...mine);
    }
    expect(all.sort()).toEqual([...urls].sort());
    for (const url of urls) expect(seen.hits.get(url.slice(httpBase.length))).toBe(1);
  }, 60_000);

  it('https works (the real bin, the test CA trusted via NODE_EXTRA_CA_CERTS), and a redirect from https down to http is refused', async () => {
    const env = { NODE_EXTRA_CA_CERTS: join(TLS, 'cert.pem'), HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_CACHE: mkdtempSync(join(tmpdir(), 'vit-url-hub-')) };
    const run = await runBin(['classify', `${httpsBase}/cat.jpg`, `${httpsBase}/to-http`, `${httpsBase}/redirect/1`, ...base], { env });
    expect(codes(run.stdout)).toEqual(['ok', 'URL_FETCH_FAILED', 'ok']);
    expect(records(run.stdout)[1].error?.message).toBe(
      `${httpsBase}/to-http: redirected from https to ${u('/cat.jpg')}: refused (plain http would let anyone on the way change the image)`,
    );
    // Without the CA the certificate is not trusted: an error record, not a crash.
    const untrusted = await runBin(['classify', `${httpsBase}/cat.jpg`, ...base], { env: { ...env, NODE_EXTRA_CA_CERTS: '' } });
    expect(untrusted.code).toBe(1);
    expect(codes(untrusted.stdout)).toEqual(['URL_FETCH_FAILED']);
    expect(records(untrusted.stdout)[0].error?.message).toMatch(/could not reach 127\.0\.0\.1:\d+ \((SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/);
  }, 60_000);

  it('--verbose: a fetch line per URL (time and bytes), decode lines naming the URL, and the fetch total', async () => {
    const run = await runInProcess(['classify', u('/cat.jpg'), join(IMAGES, 'coffee.png'), u('/coffee.png'), ...base, '--verbose']);
    expect(run.code).toBe(0);
    const lines = run.stderr.trimEnd().split('\n');
    const MS = String.raw` +\d+\.\d ms  `;
    expect(lines.filter((l) => l.startsWith('vit: fetch ')).map((l) => l.replace(new RegExp(`^vit: fetch *${MS}`), ''))).toEqual([
      `${u('/cat.jpg')}, ${CAT.length} bytes`,
      `${u('/coffee.png')}, ${COFFEE.length} bytes`,
      'total for 2 URLs',
    ]);
    const decoded = lines.filter((l) => l.startsWith('vit: decode ')).map((l) => l.replace(new RegExp(`^vit: decode *${MS}`), ''));
    expect(decoded.slice(0, 3).sort()).toEqual([u('/cat.jpg'), u('/coffee.png'), join(IMAGES, 'coffee.png')].sort());
  }, 60_000);

  it('bad limit values are usage errors (exit 2)', async () => {
    for (const [flag, value] of [
      ['--url-max-mb', '0'],
      ['--url-max-mb', '513'],
      ['--url-timeout', '0'],
      ['--url-timeout', 'abc'],
      ['--url-max-time', '3601'],
    ]) {
      const run = await runInProcess(['classify', u('/cat.jpg'), ...base, flag, value]);
      expect(run.code, `${flag} ${value}`).toBe(2);
      expect(run.stderr).toContain(flag);
    }
  }, 60_000);
});
