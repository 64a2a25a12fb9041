// Start-up: `vit --version` and `vit --help` load commander and the command line's own modules,
// never sharp, the WebAssembly backend, the image pipeline or the hub client (those load when a
// command runs). The time this saves is measured by `npm run bench` (startup), not here.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT } from './run.js';

/**
 * What a real `vit ...args` process records through test/cli/record-<what>.mjs (given to Node as
 * --import; the file to write is named by VIT_RECORD_<WHAT>), each line once.
 */
function recordOf(what: 'imports' | 'builtins', args: string[]): string[] {
  const record = join(mkdtempSync(join(tmpdir(), 'vit-startup-')), `${what}.txt`);
  execFileSync(process.execPath, ['--import', join(ROOT, 'test', 'cli', `record-${what}.mjs`), BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, [`VIT_RECORD_${what.toUpperCase()}`]: record },
  });
  return [...new Set(readFileSync(record, 'utf8').trim().split('\n'))];
}

/** The modules a real `vit ...args` process imports, as paths relative to the package root. */
const importsOf = (args: string[]): string[] => recordOf('imports', args).map((url) => url.replace(`file://${ROOT}/`, ''));

/** The Node built-ins a real `vit ...args` process loads, on every thread (main, model host, kernels). */
const builtinsOf = (args: string[]): string[] => recordOf('builtins', args);

const HEAVY = [/node_modules\/(fastify|prom-client|@fastify|bullmq|ioredis)\//, /node_modules\/sharp\//, /node_modules\/ora\//, /^dist\/backend\/(wasm|reference)/, /^dist\/image\/(load|decode|pillow)/, /^dist\/hub\/(download|transfer)/, /^dist\/safetensors\//];

describe('start-up loads only the command line', () => {
  it.each([[['--version']], [['--help']], [['classify', '--help']], [['serve', '--help']], [['worker', '--help']], [['enqueue', '--help']]])('vit %j', (args) => {
    const loaded = importsOf(args);
    expect(loaded).toContain('dist/cli/main.js'); // the recording works
    expect(loaded.some((m) => m.includes('node_modules/commander/'))).toBe(true);
    expect(loaded.filter((m) => HEAVY.some((re) => re.test(m)))).toEqual([]);
  });

  it('vit classify starts the model host thread before it imports the rest of the application layer', () => {
    // HostThread.start runs as soon as app/model-host.js is in: the thread then boots while this
    // one imports app/index.js (a one-shot's start-up; the time is measured by bench:oneshot).
    const loaded = importsOf(['classify', join(ROOT, 'test', 'fixtures', 'images', 'cat.jpg'), '-w', join(ROOT, 'fixtures', 'models', 'tiny', 'model.safetensors'), '-q']);
    const host = loaded.indexOf('dist/app/model-host.js');
    expect(host).toBeGreaterThan(-1);
    expect(loaded.indexOf('dist/app/index.js')).toBeGreaterThan(host);
  });

  it('vit classify loads neither the HTTP stack nor WebCrypto: an ES import of node:http or node:crypto would (undici, tls and http2 with node:http on Node 24)', () => {
    const loaded = builtinsOf(['classify', join(ROOT, 'test', 'fixtures', 'images', 'cat.jpg'), '-w', join(ROOT, 'fixtures', 'models', 'tiny', 'model.safetensors'), '-q']);
    expect(loaded).toContain('NativeModule worker_threads'); // the recording works
    expect(loaded.filter((m) => /^NativeModule (http|https|http2|tls|internal\/deps\/undici\/undici|internal\/crypto\/webcrypto)$/.test(m))).toEqual([]);
  });

  it('a command that runs loads them (the check above can see them)', () => {
    const loaded = importsOf(['preprocess', join(ROOT, 'test', 'fixtures', 'images', 'cat.jpg'), '-o', join(mkdtempSync(join(tmpdir(), 'vit-startup-')), 't.safetensors'), '--weights', join(ROOT, 'fixtures', 'models', 'tiny', 'model.safetensors')]);
    expect(loaded.filter((m) => HEAVY.some((re) => re.test(m))).length).toBeGreaterThan(0);
    expect(loaded.some((m) => m.includes('node_modules/sharp/'))).toBe(true);
    // The HTTP server's modules load only when a server starts.
    expect(loaded.filter((m) => /node_modules\/(fastify|prom-client)\/|^dist\/app\/serve\/server/.test(m))).toEqual([]);
    // Nor BullMQ and ioredis, until a worker starts or jobs are queued.
    expect(loaded.filter((m) => /node_modules\/(bullmq|ioredis)\/|^dist\/app\/queue\/(worker|client|connection)/.test(m))).toEqual([]);
  });
});
