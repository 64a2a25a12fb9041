// --verbose: where the time went, on stderr, one line per step as it happens (llama.cpp's habit),
// then totals. The numbers come from the application layer's timing events; this file only
// words and aligns them.

import type { TimingEvent, TimingObserver } from '../app/index.js';

export interface TimingReport {
  /** The observer to hand to the application layer. */
  observer: TimingObserver;
  /** The first line: how long the process took to get here (node, modules, arguments). */
  startup(uptimeSeconds: number): void;
  /** The totals of the run, after the last image. */
  summary(): void;
}

const line = (stage: string, ms: number, detail: string) => `vit: ${stage.padEnd(10)} ${ms.toFixed(1).padStart(9)} ms  ${detail}`.trimEnd();

/** `print` writes one line (the caller escapes it and keeps it clear of a spinner). */
export function createTimingReport(print: (text: string) => void): TimingReport {
  let resolveMs = 0;
  const total = { fetch: 0, fetched: 0, decode: 0, preprocess: 0, forward: 0, images: 0, batches: 0 };
  const perImage = (ms: number, images: number) => `${(ms / images).toFixed(1)} ms per image`;
  const observer = (event: TimingEvent): void => {
    switch (event.stage) {
      case 'resolve':
        resolveMs = event.ms;
        return;
      case 'load': {
        // The model host's steps, on the process clock of the start-up line.
        const at = (s: number) => `${s.toFixed(3)} s`;
        const steps = event.steps === undefined ? '' : ` (host thread up at ${at(event.steps.threadUp)}, kernels at ${at(event.steps.kernelsUp)}, weights in at ${at(event.steps.weightsIn)})`;
        print(line('weights', resolveMs + event.ms, `resolve ${resolveMs.toFixed(1)} ms, load ${event.ms.toFixed(1)} ms${steps}`));
        // What the packed-weight cache did, when it did something (not when off or the model is small).
        if (event.weightCache !== undefined && !event.weightCache.startsWith('off')) print(`vit: weight cache: ${event.weightCache}`);
        // Which int8 dot sequence the kernels run (src/backend/wasm/int8-dot.ts), with int8 only.
        if (event.int8Dot !== undefined) print(`vit: int8 dot: ${event.int8Dot}`);
        return;
      }
      case 'fetch':
        total.fetch += event.ms;
        total.fetched++;
        return print(line('fetch', event.ms, `${event.image}, ${event.bytes} bytes`));
      case 'decode':
      case 'preprocess':
        total[event.stage] += event.ms;
        return print(line(event.stage, event.ms, event.image));
      case 'forward':
        total.forward += event.ms;
        total.images += event.images;
        total.batches++;
        return print(line('forward', event.ms, `${event.images} image${event.images === 1 ? '' : 's'}, ${perImage(event.ms, event.images)}`));
    }
  };
  return {
    observer,
    startup: (uptime) => print(line('start-up', uptime * 1000, 'process uptime at this line')),
    summary() {
      if (total.images === 0) return;
      const n = total.images;
      const rate = total.forward > 0 ? `, ${((n * 1000) / total.forward).toFixed(1)} images/s` : '';
      if (total.fetched > 0) print(line('fetch', total.fetch, `total for ${total.fetched} URL${total.fetched === 1 ? '' : 's'}`));
      print(line('decode', total.decode, `total for ${n} image${n === 1 ? '' : 's'}, ${perImage(total.decode, n)}`));
      print(line('preprocess', total.preprocess, `total, ${perImage(total.preprocess, n)}`));
      print(line('forward', total.forward, `total in ${total.batches} batch${total.batches === 1 ? '' : 'es'}, ${perImage(total.forward, n)}${rate}`));
    },
  };
}
