// Shared by the serve tests: servers on port 0 with the tiny fixture model, requests, metrics.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServeOptions } from '../../src/app/serve/index.js';
import { IMAGES, TINY_WEIGHTS } from '../cli/run.js';

export const image = (name: string) => readFileSync(join(IMAGES, name));

/** A server of the tiny model on a free port, ready to classify (the caller closes it). */
export async function tinyServer(options: Partial<ServeOptions> = {}): Promise<RunningServer> {
  const server = await startServer({ port: 0, ...options, model: { weights: TINY_WEIGHTS, batchSize: 4, ...options.model } });
  await server.ready;
  return server;
}

/** A response's JSON, to be checked field by field. */
export const json = (response: Response): Promise<any> => response.json();

/** POST one image as the body. */
export function postImage(server: RunningServer, bytes: Uint8Array, options: { type?: string; query?: string; headers?: Record<string, string> } = {}) {
  return fetch(`${server.url}/v1/classify${options.query ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': options.type ?? 'application/octet-stream', ...options.headers },
    body: bytes,
  });
}

/** POST several images as multipart/form-data files. */
export function postFiles(server: RunningServer, files: [name: string, bytes: Uint8Array][], query = '') {
  const form = new FormData();
  for (const [name, bytes] of files) form.append('image', new Blob([bytes]), name);
  return fetch(`${server.url}/v1/classify${query}`, { method: 'POST', body: form });
}

/** The value of one sample line of the Prometheus text, e.g. metric('vit_batch_size_count'). */
export async function metric(server: RunningServer, sample: string, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  if (line === undefined) throw new Error(`no sample ${sample} in:\n${text}`);
  return Number(line.slice(sample.length + 1));
}

/** Polls until `check` holds (or fails the test after `ms`). */
export async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
