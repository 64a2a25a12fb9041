// `vit serve` from the command line: the real bin in a child process (listen, classify, SIGTERM
// with a request in flight, exit 0), and in-process the runs that end before serving.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BIN, ROOT, runInProcess, TINY_WEIGHTS } from '../cli/run.js';
import { image, json } from './helpers.js';

afterEach(() => vi.unstubAllEnvs());

describe('vit serve (the real bin)', () => {
  it('prints where it listens, classifies, and on SIGTERM answers the request in flight and exits 0', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--weights', TINY_WEIGHTS, '--batch-window-ms', '1500'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const ready = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        const url = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout)?.[1];
        if (url !== undefined && stdout.includes('\nready: ')) resolve(url);
      });
      child.on('exit', () => reject(new Error(`vit serve exited early: ${stderr}`)));
    });
    try {
      const url = await ready;
      expect(stdout).toMatch(/\nready: vit_tiny_fixture, 10 classes, batch size 4\n$/);
      const inFlight = fetch(`${url}/v1/classify?topk=1`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: image('cat.jpg') });
      // The request waits in the (long) batch window when the signal comes.
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill('SIGTERM');
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect((await json(answer)).predictions).toHaveLength(1);
      expect(await exited).toBe(0);
      expect(stderr).toBe('vit serve: SIGTERM: finishing the requests in flight\n');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('vit serve runs that end before serving', () => {
  it.each([
    [['--port', '65536'], /expected a port number in 0\.\.65535, received '65536'/],
    [['--port', 'http'], /expected a port number in 0\.\.65535, received 'http'/],
    [['--max-queue', '0'], /expected a positive integer, received '0'/],
    [['--batch-window-ms', '-1'], /expected a non-negative number, received '-1'/],
    [['--max-body-mb', '2048'], /expected at most 1024, received '2048'/],
  ])('%j: exit 2', async (args, message) => {
    const { code, stderr } = await runInProcess(['serve', '--weights', TINY_WEIGHTS, ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('an empty VIT_SERVE_TOKEN is a mistake, not "no token": exit 2', async () => {
    vi.stubEnv('VIT_SERVE_TOKEN', '');
    const { code, stderr } = await runInProcess(['serve', '--weights', TINY_WEIGHTS, '--port', '0']);
    expect(code).toBe(2);
    expect(stderr).toBe('vit: VIT_SERVE_TOKEN is set but empty: set a token, or unset it to serve without one\n');
  });

  it('a port already in use: exit 2 naming it', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const { code, stderr } = await runInProcess(['serve', '--weights', TINY_WEIGHTS, '--port', String(port)]);
      expect(code).toBe(2);
      expect(stderr).toBe(`vit: cannot listen on 127.0.0.1:${port}: the port is already in use\n`);
    } finally {
      taken.close();
    }
  });

  it('weights that cannot be loaded: exit 3 after listening, and the port is free again', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'vit-serve-cli-')), 'model.safetensors');
    const { code, stdout, stderr } = await runInProcess(['serve', '--weights', missing, '--port', '0']);
    expect(code).toBe(3);
    const port = /^listening on http:\/\/127\.0\.0\.1:(\d+)\n$/.exec(stdout)?.[1];
    expect(port).toBeDefined();
    expect(stderr).toContain(missing);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('listening beyond loopback without a token is warned about', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'vit-serve-cli-')), 'model.safetensors');
    const { stderr } = await runInProcess(['serve', '--weights', missing, '--port', '0', '--host', '0.0.0.0']);
    expect(stderr).toMatch(/^vit: warning: listening on 0\.0\.0\.0 without VIT_SERVE_TOKEN: anyone who can reach this machine can use the server\n/);
  });
});
