// The HTTP server behind `vit serve` (fastify): three routes over one classifier.
//   POST /v1/classify  one image as the body, or several as multipart; ?topk=; classify's records
//   GET  /healthz      200 once the model is loaded, 503 before (and while closing)
//   GET  /metrics      Prometheus text (metrics.ts)
// Every error answer is { error: { code, message } } with the status of status.ts; a bug is 500
// INTERNAL with no details (they go to options.log), so no answer shows a path of the server.
// Loaded by serve/index.ts on first use: fastify and prom-client take a while to import.

import multipart from '@fastify/multipart';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { loadModel, type Classifier } from '../load-model.js';
import { bearerCheck } from './auth.js';
import { Admission } from './capacity.js';
import { ListenError } from './listen-error.js';
import { createMetrics } from './metrics.js';
import { serveSettings, type RunningServer, type ServeOptions, type ServeSettings } from './options.js';
import { ClassifyPipeline } from './pipeline.js';
import { RequestError, statusOfCode } from './status.js';
import { MEDIA_TYPES_HELP, readUploads } from './uploads.js';

const CLASSIFY = '/v1/classify';
/** Seconds a client is asked to wait after a 503. */
const RETRY_AFTER_SECONDS = 1;

interface State {
  classifier?: Classifier;
  pipeline?: ClassifyPipeline;
  loading: 'loading' | 'ready' | 'failed';
  closing: boolean;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const settings = serveSettings(options);
  const admission = new Admission(settings.maxQueue);
  const metrics = createMetrics(settings.model.batchSize, () => admission.used);
  const state: State = { loading: 'loading', closing: false };
  const authorized = settings.token === undefined ? () => true : bearerCheck(settings.token);
  const started = new WeakMap<FastifyRequest, number>();
  // Places a request holds in the queue until its images go to the pipeline (which then holds
  // them until their work is over): one from arrival, so bodies being received are bounded too.
  const holding = new WeakMap<FastifyRequest, number>();

  const app = Fastify({
    logger: false,
    bodyLimit: settings.maxBodyBytes,
    // The whole request must arrive within the timeout too (a client trickling bytes holds a socket).
    requestTimeout: settings.timeoutMs,
    // Our own 503 (the answers keep one shape), from the onRequest hook below.
    return503OnClosing: false,
  });
  await app.register(multipart, {
    limits: { fileSize: settings.maxBodyBytes, files: settings.maxQueue, fields: 16, fieldSize: 64 * 1024, parts: settings.maxQueue + 16 },
  });
  for (const type of ['application/octet-stream', /^image\//]) app.addContentTypeParser(type, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    started.set(request, performance.now());
    if (state.closing) return sendError(reply.header('connection', 'close'), 'SHUTTING_DOWN', 'the server is shutting down');
    if (request.routeOptions.url !== '/healthz' && !authorized(request.headers.authorization)) {
      return sendError(reply.header('www-authenticate', 'Bearer'), 'UNAUTHORIZED', 'a bearer token is required (Authorization: Bearer <token>)');
    }
  });
  app.addHook('onSend', async (_request, reply) => {
    // After close() starts, a kept-alive connection would otherwise hold close() up until it times out.
    if (state.closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    const seconds = (performance.now() - (started.get(request) ?? performance.now())) / 1000;
    metrics.request(request.routeOptions.url ?? 'unmatched', reply.statusCode, seconds);
  });
  app.setErrorHandler((error, request, reply) => {
    const known = requestErrorOf(error, settings);
    if (known.code === 'INTERNAL') settings.log(`${request.method} ${request.routeOptions.url ?? ''}: ${(error as Error)?.stack ?? String(error)}`);
    return sendError(reply, known.code, known.message);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));

  app.get('/healthz', async (_request, reply) => {
    if (state.classifier === undefined) return reply.code(503).send({ status: state.loading });
    const { model } = state.classifier;
    return { status: 'ok', model: model.resolved.name, classes: model.config.numClasses, batchSize: model.maxBatch };
  });

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.text()));

  app.post(CLASSIFY, {
    // Refused before the body is read: no model yet, or the queue already full.
    onRequest: async (request, reply) => {
      if (state.pipeline === undefined) return sendError(reply, 'NOT_READY', state.loading === 'failed' ? 'the model failed to load' : 'the model is still loading');
      if (!admission.tryTake(1)) return sendError(reply, 'QUEUE_FULL', `${admission.max} images are already queued`);
      holding.set(request, 1);
      // 'close' comes however the exchange ends: answered, failed, or the client gone.
      reply.raw.once('close', () => admission.release(holding.get(request) ?? 0));
    },
    handler: async (request, reply) => {
      const pipeline = state.pipeline as ClassifyPipeline;
      const topk = parseTopk((request.query as Record<string, unknown>).topk, (state.classifier as Classifier).model.config.numClasses);
      const uploads = await readUploads(request, settings.maxBodyBytes);
      if (uploads.length > admission.max) throw new RequestError('TOO_MANY_IMAGES', `${uploads.length} images in one request, more than the queue holds (${admission.max})`);
      if (!admission.tryTake(uploads.length - 1)) throw new RequestError('QUEUE_FULL', `no room for ${uploads.length} more images: ${admission.used} of ${admission.max} are queued`);
      holding.delete(request);
      const elapsed = performance.now() - (started.get(request) ?? performance.now());
      const records = await withTimeout(Math.max(0, settings.timeoutMs - elapsed), settings.timeoutMs, (signal) => {
        const work = pipeline.classify(uploads, topk, signal);
        // The images stay counted until their work is really over, answered or not.
        const release = () => admission.release(uploads.length);
        work.then(release, release);
        return work;
      });
      const failed = records.filter((r) => 'error' in r).length;
      metrics.images('ok', records.length - failed);
      metrics.images('error', failed);
      if (request.isMultipart()) return records;
      const [record] = records;
      return reply.code('error' in record ? statusOfCode(record.error.code) : 200).send(record);
    },
  });

  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    await app.close();
    throw new ListenError(settings.host, settings.port, error);
  }

  const ready = loadModel(settings.model).then(
    (classifier) => {
      state.classifier = classifier;
      state.pipeline = new ClassifyPipeline(classifier, {
        prepare: settings.prepare,
        decodeConcurrency: settings.decodeConcurrency,
        batchWindowMs: settings.batchWindowMs,
        onBatch: metrics.batch,
      });
      state.loading = 'ready';
      return classifier;
    },
    (error: unknown) => {
      state.loading = 'failed';
      throw error;
    },
  );
  // The caller may never look at `ready`; a failed load is still answered (503) and told there.
  ready.catch(() => {});

  return {
    url: urlOf(app.server.address() as AddressInfo),
    ready,
    close: async () => {
      state.closing = true;
      await app.close();
      state.pipeline = undefined;
      state.classifier = undefined;
      // A load cannot be interrupted: a model still loading is disposed when it arrives.
      const disposed = ready.then((classifier) => classifier.dispose(), () => {});
      if (state.loading !== 'loading') await disposed;
    },
  };
}

function urlOf({ address, family, port }: AddressInfo): string {
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

function sendError(reply: FastifyReply, code: RequestError['code'], message: string): FastifyReply {
  const status = statusOfCode(code);
  if (status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  return reply.code(status).send({ error: { code, message } });
}

/** ?topk=: an integer in 1..classes; absent, 5 (or all the classes when fewer). */
function parseTopk(value: unknown, classes: number): number {
  if (value === undefined) return Math.min(5, classes);
  const n = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= classes)) throw new RequestError('BAD_TOPK', `topk: expected an integer in 1..${classes}, received ${JSON.stringify(value).slice(0, 40)}`);
  return n;
}

/** Runs `work` with a signal that aborts (and an answer of 503 TIMEOUT) after `ms`. */
async function withTimeout<T>(ms: number, limitMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timedOut = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  const timer = setTimeout(() => controller.abort(new RequestError('TIMEOUT', `not answered within ${limitMs} ms: the server is busy`)), ms);
  try {
    return await Promise.race([work(controller.signal), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The code and message an error is answered with; fastify's own errors (body limit, media type) included. */
function requestErrorOf(error: unknown, settings: ServeSettings): RequestError {
  if (error instanceof RequestError) return error;
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return new RequestError('TOO_MANY_IMAGES', `more than ${settings.maxQueue} files in one request, more than the queue holds`);
  }
  if (statusCode === 413) return new RequestError('BODY_TOO_LARGE', `the body is over the limit of ${settings.maxBodyBytes} bytes`);
  if (statusCode === 415) return new RequestError('UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Type: ${MEDIA_TYPES_HELP}`);
  // fastify's other 4xx are about the request's form (a bad header, a broken multipart body) and name no path.
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return new RequestError('BAD_REQUEST', (error as Error).message);
  return new RequestError('INTERNAL', 'internal error');
}
