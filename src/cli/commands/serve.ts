// `vit serve`: classify images over HTTP (the application layer's startServer). Prints where it
// listens and when the model is ready on stdout; runs until SIGTERM or SIGINT, then stops
// accepting, answers the requests in flight, releases the model and exits 0.

import { Command, InvalidArgumentError, Option } from 'commander';
import { SERVE_DEFAULTS } from '../../app/constants.js';
import { EXIT, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import {
  addPreprocessOptions,
  autoOrientOption,
  backendOption,
  precisionOption,
  int8AttentionOption,
  colourManageOption,
  configOption,
  headsOption,
  HUB_HELP,
  integerUpTo,
  labelsOption,
  MAX_BATCH_SIZE,
  maxPixelsOption,
  modelOption,
  nonNegativeNumber,
  weightCacheOptions,
  offlineOption,
  positiveInteger,
  quietOption,
  resizeOption,
  threadsOption,
  weightsOption,
} from '../options.js';
import { createProgress } from '../progress.js';
import { decodeOptionsOf, loadApp, loadOptionsOf, stopSignal, type ImageFlags, type ModelFlags } from './shared.js';

interface ServeOpts extends ModelFlags, ImageFlags {
  batchSize: number;
  host: string;
  port: number;
  batchWindowMs: number;
  maxQueue: number;
  maxBodyMb: number;
  timeoutMs: number;
  offline?: boolean;
  quiet?: boolean;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n > 65535) throw new InvalidArgumentError(`expected a port number in 0..65535, received '${value}'`);
  return n;
}

function numberUpTo(max: number): (value: string) => number {
  return (value) => {
    const n = nonNegativeNumber(value);
    if (n > max) throw new InvalidArgumentError(`expected at most ${max}, received '${value}'`);
    return n;
  };
}

const SERVE_HELP = `
Endpoints:
  POST /v1/classify[?topk=N]  one image as the body (Content-Type image/* or application/octet-stream),
                              or several as multipart/form-data; answers classify's JSON records
  GET  /healthz               200 once the model is loaded, 503 before
  GET  /metrics               Prometheus metrics
VIT_SERVE_TOKEN  when set, /v1/classify and /metrics need "Authorization: Bearer <token>"
SIGTERM or Ctrl-C: stop accepting, answer the requests in flight, exit 0 (a second Ctrl-C stops at once)
`;

export function serveCommand(io: CliIO, setExitCode: (code: number) => void): Command {
  const command = new Command('serve')
    .description('classify images over HTTP, batching concurrent requests into shared forward passes')
    .addOption(new Option('--host <address>', 'address to listen on (0.0.0.0: every interface)').default(SERVE_DEFAULTS.host).env('VIT_SERVE_HOST'))
    .addOption(new Option('-p, --port <n>', 'port to listen on (0: a free one, printed)').argParser(port).default(SERVE_DEFAULTS.port).env('VIT_SERVE_PORT'))
    .addOption(weightsOption())
    .addOption(modelOption())
    .addOption(configOption())
    .addOption(headsOption())
    .addOption(labelsOption())
    .addOption(new Option('-b, --batch-size <n>', 'most images per forward pass').argParser(integerUpTo(MAX_BATCH_SIZE)).default(SERVE_DEFAULTS.batchSize).env('VIT_BATCH_SIZE'))
    .addOption(threadsOption())
    .addOption(backendOption())
    .addOption(precisionOption())
    .addOption(int8AttentionOption())
    .addOption(
      new Option('--batch-window-ms <ms>', 'how long a request waits for others to share its forward pass')
        .argParser(numberUpTo(60_000))
        .default(SERVE_DEFAULTS.batchWindowMs),
    )
    .addOption(new Option('--max-queue <n>', 'images admitted at once (decoding or waiting); beyond it 503 with Retry-After').argParser(positiveInteger).default(SERVE_DEFAULTS.maxQueue))
    .addOption(new Option('--max-body-mb <n>', 'largest request body in MiB; beyond it 413').argParser(integerUpTo(1024)).default(SERVE_DEFAULTS.maxBodyMb))
    .addOption(new Option('--timeout-ms <ms>', 'a request not answered by then gets 503').argParser(integerUpTo(2 ** 31 - 1)).default(SERVE_DEFAULTS.timeoutMs))
    .addOption(resizeOption())
    .addOption(autoOrientOption())
    .addOption(colourManageOption())
    .addOption(maxPixelsOption());
  return addPreprocessOptions(command)
    .addOption(offlineOption())
    .addOption(weightCacheOptions()[0])
    .addOption(weightCacheOptions()[1])
    .addOption(quietOption())
    .addHelpText('after', SERVE_HELP + HUB_HELP)
    .action(async (opts: ServeOpts) => setExitCode(await runServe(opts, io)));
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

async function runServe(opts: ServeOpts, io: CliIO): Promise<number> {
  const token = process.env.VIT_SERVE_TOKEN;
  if (token === '') throw new UsageError('VIT_SERVE_TOKEN is set but empty: set a token, or unset it to serve without one');
  const app = await loadApp();
  const progress = await createProgress(io, opts.quiet === true);
  if (token === undefined && !LOOPBACK.test(opts.host)) {
    progress.warn(`vit: warning: listening on ${opts.host} without VIT_SERVE_TOKEN: anyone who can reach this machine can use the server`);
  }
  const stop = stopSignal();
  try {
    const server = await app.startServer({
      host: opts.host,
      port: opts.port,
      batchWindowMs: opts.batchWindowMs,
      maxQueue: opts.maxQueue,
      maxBodyBytes: opts.maxBodyMb * 2 ** 20,
      timeoutMs: opts.timeoutMs,
      token,
      prepare: { decode: decodeOptionsOf(opts), resize: opts.resize },
      log: (message) => io.stderr.write(`vit serve: ${message}\n`),
      model: { ...loadOptionsOf(app, opts, io, progress), batchSize: opts.batchSize },
    });
    try {
      io.stdout.write(`listening on ${server.url}\n`);
      const first = await Promise.race([server.ready, stop.signal]);
      if (typeof first !== 'string') {
        progress.stop();
        for (const warning of first.warnings) progress.warn(`vit: warning: ${warning}`);
        io.stdout.write(`ready: ${first.model.resolved.name}, ${first.model.config.numClasses} classes, batch size ${first.model.maxBatch}\n`);
      }
      const signal = typeof first === 'string' ? first : await stop.signal;
      io.stderr.write(`vit serve: ${signal}: finishing the requests in flight\n`);
    } finally {
      await server.close();
    }
    return EXIT.OK;
  } finally {
    progress.stop();
    stop.dispose();
  }
}
