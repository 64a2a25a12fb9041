// `vit verify --precision int8`: agreement with the float reference on the bundled fixtures (the
// real int8 path), the LayerNorm fold that keeps the outlier fixture above the rule, and the flags
// that belong to one precision only.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VerifyRun } from '../../src/app/index.js';
import { isolateHub, ROOT, runInProcess } from './run.js';

isolateHub();

const fixture = (name: string) => {
  const dir = join(ROOT, 'fixtures', 'models', name);
  return ['--weights', join(dir, 'model.safetensors'), '--reference', join(dir, 'reference.safetensors')];
};

async function runs(args: string[]): Promise<{ code: number; passed: boolean; runs: VerifyRun[] }> {
  const { code, stdout, stderr } = await runInProcess(['verify', '--precision', 'int8', '--format', 'json', '--quiet', ...args]);
  if (stdout === '') throw new Error(`no output (exit ${code}): ${stderr}`);
  return { code, ...JSON.parse(stdout) };
}

function expectInRange(run: VerifyRun): void {
  const a = run.agreement!;
  expect(a.samples).toHaveLength(run.samples);
  for (const s of a.samples) {
    expect(s.cosine).toBeGreaterThanOrEqual(-1);
    expect(s.cosine).toBeLessThanOrEqual(1 + 1e-12);
    expect(s.top5Overlap).toBeGreaterThanOrEqual(0);
    expect(s.top5Overlap).toBeLessThanOrEqual(1);
  }
  for (const f of [a.top1Agreement, a.top5Overlap, a.top1InTop5]) {
    expect(f).toBeGreaterThanOrEqual(0);
    expect(f).toBeLessThanOrEqual(1);
  }
  expect(a.top1InTop5).toBeGreaterThanOrEqual(a.top1Agreement); // the same top-1 is in the top 5
  expect(a.minCosine).toBeLessThanOrEqual(a.meanCosine);
  expect(a.minCosine).toBe(Math.min(...a.samples.map((s) => s.cosine)));
  expect(a.maxAbsDiff).toBe(Math.max(...a.samples.map((s) => s.maxAbsDiff)));
  // int8 is not float32: some logit moved (a run that silently stayed fp32 would show ~1e-6).
  expect(a.maxAbsDiff).toBeGreaterThan(1e-4);
  expect(run.passed).toBe(a.passed);
}

describe('vit verify --precision int8', () => {
  it('reports agreement on every bundled fixture, and the int8 fixtures pass the 0.999 cosine rule', async () => {
    const result = await runs([]);
    expect(result.runs.map((r) => r.name)).toEqual(expect.arrayContaining(['int8_outliers', 'int8_plain', 'tiny']));
    for (const run of result.runs) {
      expect(run.precision).toBe('int8');
      expect(run.foldNorms).toBe(true);
      expect(run.agreement!.rule).toEqual({ minCosine: 0.999 });
      expectInRange(run);
    }
    for (const name of ['int8_plain', 'int8_outliers']) {
      const run = result.runs.find((r) => r.name === name)!;
      expect(run.samples).toBe(12);
      expect(run.agreement!.minCosine).toBeGreaterThanOrEqual(0.999);
      expect(run.passed).toBe(true);
    }
    expect(result.passed).toBe(result.runs.every((r) => r.passed));
    expect(result.code).toBe(result.passed ? 0 : 1);
  });

  it('without the LayerNorm fold the outlier fixture fails the rule; the plain one does not care', async () => {
    const kept = await runs([...fixture('int8_outliers'), '--int8-norms', 'keep']);
    expect(kept.code).toBe(1);
    expect(kept.runs[0].foldNorms).toBe(false);
    expectInRange(kept.runs[0]);
    expect(kept.runs[0].agreement!.minCosine).toBeLessThan(0.999);
    const plain = await runs([...fixture('int8_plain'), '--int8-norms', 'keep']);
    expect(plain.code).toBe(0);
    expect(plain.runs[0].agreement!.minCosine).toBeGreaterThanOrEqual(0.999);
  });

  it('--min-cosine sets the rule: 1 is out of reach of any int8 run', async () => {
    const strict = await runs([...fixture('int8_plain'), '--min-cosine', '1']);
    expect(strict.code).toBe(1);
    expect(strict.runs[0].agreement!.rule).toEqual({ minCosine: 1 });
  });

  it('prints a per-image report for one reference and a table for the bundled fixtures', async () => {
    const one = await runInProcess(['verify', '--precision', 'int8', '--quiet', ...fixture('int8_outliers')]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^precision {2}int8: every image's logit cosine with the reference >= 0\.999; LayerNorms folded into the next Linear; int8 attention off$/m);
    expect(one.stdout).toMatch(/^sample +cosine +max\|Δ logits\| +top-1 +top-5 overlap +top-1 in top-5 +result$/m);
    expect(one.stdout).toMatch(/^11 +0\.99\d{5} +\d\.\de-\d +(same|DIFF) +\d+\.\d% +(yes|NO) +PASS$/m);
    expect(one.stdout).toMatch(/^PASS: min cosine 0\.99\d{3} \(mean 0\.99\d{3}\), top-1 agreement \d+\/12, top-5 overlap \d+\.\d%, top-1 in top-5 \d+\/12, max\|Δ logits\| \d\.\de-\d$/m);
    const all = await runInProcess(['verify', '--precision', 'int8', '--quiet']);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^fixture +top-1 +top-5 overlap +top-1 in top-5 +min cosine +mean cosine +max\|Δ logits\| +result$/);
    expect(all.stdout).toMatch(/^int8_outliers +\d+\/12 +\d+\.\d% +\d+\/12 +0\.99\d{3} +0\.99\d{3} +\d\.\de-\d +PASS$/m);
    expect(lines.at(-1)).toMatch(/^\d\/7 passed \(int8: every image's logit cosine with the reference >= 0\.999; LayerNorms folded into the next Linear; int8 attention off\)$/);
  });

  it('the fp32 run is judged by tolerances as before, and reports no agreement', async () => {
    const { code, stdout } = await runInProcess(['verify', '--format', 'json', '--quiet', ...fixture('int8_outliers')]);
    expect(code).toBe(0);
    const run = JSON.parse(stdout).runs[0];
    expect(run.precision).toBe('fp32');
    expect(run.agreement).toBeUndefined();
    expect(run.logits.withinTolerance).toBe(true);
  });
});

describe('flags of one precision only', () => {
  it.each([
    [['--precision', 'int8', '--atol', '1e-3'], /^vit: verify: --atol judge --precision fp32 runs; --precision int8 is judged by --min-cosine$/m],
    [['--precision', 'int8', '--atol', '1', '--rtol', '1'], /--atol and --rtol judge --precision fp32 runs/],
    [['--min-cosine', '0.99'], /^vit: verify: --min-cosine judge --precision int8 runs; this run has --precision fp32 \(the default\) \(judged by --atol\/--rtol\)$/m],
    [['--int8-norms', 'keep'], /--int8-norms judge --precision int8 runs/],
    [['--precision', 'int8', '--min-cosine', '1.5'], /--min-cosine.*expected a cosine in \[-1, 1\], received '1\.5'/],
    [['--precision', 'int8', '--int8-norms', 'drop'], /--int8-norms.*drop/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const { code, stderr } = await runInProcess(['verify', ...fixture('tiny'), ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
