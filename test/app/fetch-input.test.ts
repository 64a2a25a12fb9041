// app/fetch-input.ts on its own: which inputs are URLs, how they are shown, and UrlFetcher's
// slots and close() (the CLI tests in test/cli/url-inputs.test.ts cover the fetching itself).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandInputs } from '../../src/app/inputs.js';
import { isUrlInput, MAX_URL_BYTES, urlForMessage, urlForRecord, UrlFetcher, UrlInputError, urlItem } from '../../src/app/fetch-input.js';

describe('which inputs are URLs', () => {
  it('http:// and https:// in any case; nothing else', () => {
    for (const url of ['http://a/b.jpg', 'https://a/b.jpg', 'HTTPS://A/B.JPG', 'Http://a']) expect(isUrlInput(url), url).toBe(true);
    for (const path of ['http:/a', 'http:a.jpg', './http://a/b.jpg', 'ftp://a/b', 'file:///etc/passwd', 'httpx://a', ' http://a', 'cat.jpg']) {
      expect(isUrlInput(path), path).toBe(false);
    }
  });

  it('a URL that cannot be fetched is an INVALID_URL item at once', () => {
    expect(urlItem('https://example.com/a.jpg')).toEqual({ path: 'https://example.com/a.jpg', url: 'https://example.com/a.jpg' });
    expect(urlItem('http://')).toEqual({ path: 'http://', error: { code: 'INVALID_URL', message: '"http://": not a usable URL: it does not parse' } });
    expect(urlItem('http://[::1/a')).toMatchObject({ error: { code: 'INVALID_URL' } });
    const long = `https://example.com/${'a'.repeat(MAX_URL_BYTES)}`;
    expect(urlItem(long)).toMatchObject({ path: long, error: { code: 'INVALID_URL', message: expect.stringMatching(/^"https:\/\/example\.com\/a+\.\.\.": not a usable URL: longer than 8192 bytes$/) } });
  });
});

describe('expandInputs', () => {
  it('keeps URLs as URL items (never looked for on disk), in order among the paths', async () => {
    const items = await expandInputs(['https://u:pw@example.com/a.jpg?x=1', 'http://', 'no-such-file.jpg'], { recursive: true, stdin: process.stdin });
    expect(items).toEqual([
      { path: 'https://***@example.com/a.jpg?x=1', url: 'https://u:pw@example.com/a.jpg?x=1' },
      { path: 'http://', error: { code: 'INVALID_URL', message: '"http://": not a usable URL: it does not parse' } },
      { path: 'no-such-file.jpg', error: { code: 'ENOENT', message: 'no-such-file.jpg: no such file or directory' } },
    ]);
  });
});

describe('how a URL is shown', () => {
  it("records mask the user name and password; messages also every query value, keeping the fragment", () => {
    const url = 'https://me:secret@example.com/a.jpg?sig=abc&x=1&flag#frag';
    expect(urlForRecord(url)).toBe('https://***@example.com/a.jpg?sig=abc&x=1&flag#frag');
    expect(urlForMessage(url)).toBe('https://***@example.com/a.jpg?sig=***&x=***&***#frag');
    expect(urlForMessage('https://example.com/a.jpg')).toBe('https://example.com/a.jpg');
    expect(urlForMessage('https://example.com/a.jpg?')).toBe('https://example.com/a.jpg?');
  });
});

describe('UrlFetcher', () => {
  let server: Server;
  let base = '';
  let open = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      open++;
      res.on('close', () => open--);
      if (req.url === '/ok') res.end('bytes');
      // else: never answer
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses limits that are not numbers >= 1', () => {
    expect(() => new UrlFetcher({ maxBytes: 0 })).toThrow(/url\.maxBytes must be a number >= 1, got 0/);
    expect(() => new UrlFetcher({ timeoutMs: Number.NaN })).toThrow(/url\.timeoutMs/);
    expect(() => new UrlFetcher({ maxTimeMs: -5 })).toThrow(/url\.maxTimeMs/);
  });

  it('hands the bytes to the caller, at most four at once; close() aborts the fetches in flight', async () => {
    const fetcher = new UrlFetcher({ timeoutMs: 60_000, maxTimeMs: 60_000 });
    expect(await fetcher.withBytes(`${base}/ok`, async (bytes) => Buffer.from(bytes).toString())).toBe('bytes');
    const hanging = Array.from({ length: 6 }, () => fetcher.withBytes(`${base}/hang`, async () => 'never').catch((e: unknown) => e));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(open).toBe(4); // two wait for a slot
    fetcher.close();
    const outcomes = await Promise.all(hanging);
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(UrlInputError);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(open).toBe(0);
  });
});
