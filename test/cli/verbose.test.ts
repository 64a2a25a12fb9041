// --verbose: timings on stderr from the application layer's timing events; results unchanged.

import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { classifyStream, loadModel, type TimingEvent } from '../../src/app/index.js';
import { int8DotForThisMachine } from '../../src/app/start-backend.js';
import { relaxedSimdSupported } from '../../src/backend/wasm/index.js';
import { createTimingReport } from '../../src/cli/timing.js';
import { IMAGES, isolateHub, runInProcess, TINY_WEIGHTS } from './run.js';

const CAT = join(IMAGES, 'cat.jpg');
const COFFEE = join(IMAGES, 'coffee.png');
const BAD = join(IMAGES, 'not_an_image.jpg');
const MS = String.raw` +\d+\.\d ms  `;

isolateHub();

describe('--verbose', () => {
  for (const command of ['classify', 'embed']) {
    it(`${command}: start-up first, then weights, decode and preprocess per image, forward per batch, totals; stdout unchanged`, async () => {
      const args = [command, CAT, COFFEE, CAT, '--weights', TINY_WEIGHTS, '--batch-size', '2', '--format', 'ndjson'];
      const plain = await runInProcess(args);
      const { code, stdout, stderr } = await runInProcess([...args, '--verbose']);
      expect(code).toBe(0);
      expect(stdout).toBe(plain.stdout);
      const lines = stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^vit: start-up  ${MS}process uptime at this line$`));
      const at = String.raw`\d+\.\d{3} s`;
      expect(lines[1]).toMatch(new RegExp(`^vit: weights   ${MS}resolve \\d+\\.\\d ms, load \\d+\\.\\d ms \\(host thread up at ${at}, kernels at ${at}, weights in at ${at}\\)$`));
      const perImage = lines.slice(2, -3);
      for (const stage of ['decode', 'preprocess']) {
        const files = perImage.filter((l) => l.startsWith(`vit: ${stage} `)).map((l) => l.replace(new RegExp(`^vit: ${stage} *${MS}`), ''));
        expect(files.sort()).toEqual([CAT, CAT, COFFEE]);
      }
      expect(perImage.filter((l) => l.startsWith('vit: forward')).map((l) => l.replace(/^.* ms {2}/, ''))).toEqual([
        expect.stringMatching(/^2 images, \d+\.\d ms per image$/),
        expect.stringMatching(/^1 image, \d+\.\d ms per image$/),
      ]);
      expect(perImage).toHaveLength(3 + 3 + 2);
      expect(lines.slice(-3)).toEqual([
        expect.stringMatching(new RegExp(`^vit: decode    ${MS}total for 3 images, \\d+\\.\\d ms per image$`)),
        expect.stringMatching(new RegExp(`^vit: preprocess${MS}total, \\d+\\.\\d ms per image$`)),
        expect.stringMatching(new RegExp(`^vit: forward   ${MS}total in 2 batches, \\d+\\.\\d ms per image, \\d+\\.\\d images/s$`)),
      ]);
    });
  }

  it.runIf(relaxedSimdSupported())('with --precision int8, which int8 dot sequence the kernels run and why, after the weights line', async () => {
    const { code, stderr } = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--precision', 'int8', '--verbose']);
    expect(code).toBe(0);
    const pick = int8DotForThisMachine();
    expect(stderr.split('\n')[2]).toBe(`vit: int8 dot: ${pick.dot} (${pick.reason})`);
    // Not with the plain-SIMD build, which has one sequence.
    const plain = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--precision', 'int8', '--backend', 'wasm', '--verbose']);
    expect(plain.stderr).not.toContain('int8 dot');
  });

  it('without it, nothing on stderr', async () => {
    const { stderr } = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--format', 'ndjson']);
    expect(stderr).toBe('');
  });
});

describe('timing events (the application layer)', () => {
  it('resolve and load from loadModel; decode, preprocess and forward from a stream; none for an image that fails to decode', async () => {
    const events: TimingEvent[] = [];
    const classifier = await loadModel({ weights: TINY_WEIGHTS, backend: 'ref', batchSize: 2, onTiming: (e) => events.push(e) });
    try {
      expect(events.map((e) => e.stage)).toEqual(['resolve', 'load']);
      // The model host's steps, on the process clock, in order and in the past.
      const load = events[1] as Extract<TimingEvent, { stage: 'load' }>;
      const { threadUp, kernelsUp, weightsIn } = load.steps ?? { threadUp: NaN, kernelsUp: NaN, weightsIn: NaN };
      expect(threadUp).toBeGreaterThan(0);
      expect(kernelsUp).toBeGreaterThanOrEqual(threadUp);
      expect(weightsIn).toBeGreaterThanOrEqual(kernelsUp);
      expect(weightsIn).toBeLessThanOrEqual(process.uptime());
      events.length = 0;
      const records = [];
      for await (const r of classifyStream(classifier, [{ path: CAT }, { path: BAD }, { path: COFFEE }], { onTiming: (e) => events.push(e) })) records.push(r);
      expect(records).toHaveLength(3);
      const of = (stage: string) => events.filter((e) => e.stage === stage);
      expect(of('decode').map((e) => (e as { image: string }).image).sort()).toEqual([CAT, COFFEE]);
      expect(of('preprocess').map((e) => (e as { image: string }).image).sort()).toEqual([CAT, COFFEE]);
      expect(of('forward').map((e) => (e as { images: number }).images)).toEqual([1, 1]); // [cat, bad] [coffee]
      for (const e of events) expect(e.ms).toBeGreaterThanOrEqual(0);
    } finally {
      classifier.dispose();
    }
  });

  it("the weights line words the host's steps as seconds of process uptime", () => {
    const printed: string[] = [];
    const report = createTimingReport((text) => printed.push(text));
    report.observer({ stage: 'resolve', ms: 1.25 });
    report.observer({ stage: 'load', ms: 300, steps: { threadUp: 0.2041, kernelsUp: 0.2614, weightsIn: 0.4719 } });
    expect(printed).toEqual(['vit: weights        301.3 ms  resolve 1.3 ms, load 300.0 ms (host thread up at 0.204 s, kernels at 0.261 s, weights in at 0.472 s)']);
    printed.length = 0;
    report.observer({ stage: 'load', ms: 300, int8Dot: 'split (x64 without AVX-VNNI)' });
    expect(printed).toEqual(['vit: weights        301.3 ms  resolve 1.3 ms, load 300.0 ms', 'vit: int8 dot: split (x64 without AVX-VNNI)']);
  });

  it('with no observer nothing is timed', async () => {
    const classifier = await loadModel({ weights: TINY_WEIGHTS, backend: 'ref' });
    try {
      const now = vi.spyOn(performance, 'now');
      for await (const r of classifyStream(classifier, [{ path: CAT }, { path: COFFEE }])) expect('predictions' in r).toBe(true);
      expect(now).not.toHaveBeenCalled();
      now.mockRestore();
    } finally {
      classifier.dispose();
    }
  });
});
