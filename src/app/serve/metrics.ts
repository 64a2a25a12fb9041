// The server's Prometheus metrics, in a registry of its own (two servers in one process do not
// mix their counts). Rates (images per second, requests per second) are Prometheus' to compute
// from the counters: rate(vit_images_total[1m]).

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServerMetrics {
  readonly registry: Registry;
  /** One answered request: its route, HTTP status and time from arrival to answer. */
  request(route: string, status: number, seconds: number): void;
  /** One forward pass of `size` images. */
  batch(size: number, seconds: number): void;
  /** Images answered, by outcome. */
  images(outcome: 'ok' | 'error', count: number): void;
  /** The Prometheus text exposition. */
  text(): Promise<string>;
}

/** Powers of two up to the batch size (and the batch size itself). */
function batchBuckets(maxBatch: number): number[] {
  const buckets = new Set<number>();
  for (let b = 1; b < maxBatch; b *= 2) buckets.add(b);
  buckets.add(maxBatch);
  return [...buckets].sort((a, b) => a - b);
}

/** `queueDepth` is read at each scrape: the images admitted and not yet answered. */
export function createMetrics(maxBatch: number, queueDepth: () => number): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'vit_http_requests_total', help: 'HTTP requests answered, by route and status', labelNames: ['route', 'status'], registers });
  const latency = new Histogram({
    name: 'vit_http_request_duration_seconds',
    help: 'Time from a request arriving to its answer, by route',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const batchSize = new Histogram({ name: 'vit_batch_size', help: 'Images per forward pass', buckets: batchBuckets(maxBatch), registers });
  const forward = new Histogram({
    name: 'vit_forward_duration_seconds',
    help: 'Time of one forward pass',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const images = new Counter({ name: 'vit_images_total', help: 'Images answered, by outcome (ok: classified; error: an error record)', labelNames: ['outcome'], registers });
  new Gauge({
    name: 'vit_queue_depth',
    help: 'Images admitted and not yet answered (a request counts one while its body arrives)',
    registers,
    collect() {
      this.set(queueDepth());
    },
  });
  return {
    registry,
    request: (route, status, seconds) => {
      requests.inc({ route, status: String(status) });
      latency.observe({ route }, seconds);
    },
    batch: (size, seconds) => {
      batchSize.observe(size);
      forward.observe(seconds);
    },
    images: (outcome, count) => images.inc({ outcome }, count),
    text: () => registry.metrics(),
  };
}
