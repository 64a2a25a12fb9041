// Where the time goes, for whoever wants to know (`--verbose`): an optional observer that the
// loading and running code calls with one event per step. Without an observer nothing is timed.

import type { HostLoadSteps } from './model-host.js';

export type TimingEvent =
  /** Finding the model: configs read, the cache looked at, weights downloaded if needed. */
  | { stage: 'resolve'; ms: number }
  /**
   * Starting the kernels and reading the weights into them (and what the packed-weight cache did,
   * if asked; when the model host's own steps ended, in seconds of process uptime; with int8 on
   * the relaxed-SIMD kernels, their dot sequence and why).
   */
  | { stage: 'load'; ms: number; weightCache?: string; steps?: HostLoadSteps; int8Dot?: string }
  /** One URL input: its bytes downloaded (app/fetch-input.ts). */
  | { stage: 'fetch'; image: string; bytes: number; ms: number }
  /** One image: reading and decoding the file to RGB pixels. */
  | { stage: 'decode'; image: string; ms: number }
  /** One image: resize, crop and normalize into the model's input. */
  | { stage: 'preprocess'; image: string; ms: number }
  /** One forward pass over a batch of images. */
  | { stage: 'forward'; images: number; ms: number };

export type TimingObserver = (event: TimingEvent) => void;

/**
 * Run `step` (sync or async) and tell `observer` how long it took (nothing if it fails); with no
 * observer, just run it.
 */
export function timed<T>(observer: TimingObserver | undefined, event: (ms: number) => TimingEvent, step: () => T): T {
  if (observer === undefined) return step();
  const start = performance.now();
  const result = step();
  if (result instanceof Promise) {
    return result.then((value: unknown) => {
      observer(event(performance.now() - start));
      return value;
    }) as T;
  }
  observer(event(performance.now() - start));
  return result;
}
