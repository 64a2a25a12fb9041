// vit classify / embed --resume out.ndjson: a run stopped midway (a partial last line included)
// and resumed reports every input exactly once; done inputs are not run again; with --shard each
// shard resumes its own file.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGES, runInProcess, TINY_WEIGHTS } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'vit-resume-cli-'));
let n = 0;
const outFile = () => join(dir, `out-${n++}.ndjson`);
const MISSING = join(IMAGES, 'no-such-image.jpg');
const GOOD = ['cat.jpg', 'coffee.png', 'gray.png', 'cat.png', 'coffee.jpg', 'gray.jpg', 'gray16.png'].map((f) => join(IMAGES, f));
const classify = ['classify', '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--quiet', '--batch-size', '2'];

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const fileOf = (line: string) => (JSON.parse(line) as { file: string }).file;

describe('--resume', () => {
  it('a run killed in the middle of a line, resumed, holds every input once, each as a full run writes it', async () => {
    const full = await runInProcess([...classify, ...GOOD, MISSING]);
    const expected = lines(full.stdout);
    expect(expected.length).toBe(GOOD.length + 1);
    const out = outFile();
    // Killed after three records and half of the fourth.
    writeFileSync(out, `${expected.slice(0, 3).join('\n')}\n${expected[3].slice(0, 20)}`);
    const resumed = await runInProcess([...classify, ...GOOD, MISSING, '--resume', out]);
    expect(resumed.code).toBe(1); // the missing file
    expect(resumed.stdout).toBe(''); // records go to the file
    expect(resumed.stderr).toMatch(/cut off a partial last line \(20 bytes\)/);
    const written = readFileSync(out, 'utf8');
    expect(written.endsWith('\n')).toBe(true);
    expect(lines(written).sort()).toEqual([...expected].sort());
    // Resumed again: the error record is retried (a second one appended), the results are not.
    await runInProcess([...classify, ...GOOD, MISSING, '--resume', out]);
    const again = lines(readFileSync(out, 'utf8'));
    expect(again.slice(0, expected.length)).toEqual(lines(written));
    expect(again.slice(expected.length).map(fileOf)).toEqual([MISSING]);
  }, 60_000);

  it('done inputs are skipped: a missing file with a result record is not run (no error), an error record is retried', async () => {
    const out = outFile();
    const done = `{"file":${JSON.stringify(MISSING)},"predictions":[]}\n{"file":${JSON.stringify(GOOD[0])},"error":{"code":"ENOENT","message":"gone then"}}\n`;
    writeFileSync(out, done);
    const run = await runInProcess([...classify, MISSING, GOOD[0], '--resume', out]);
    expect(run.code).toBe(0);
    const added = lines(readFileSync(out, 'utf8').slice(done.length));
    expect(added.map(fileOf)).toEqual([GOOD[0]]);
    expect(JSON.parse(added[0])).toHaveProperty('predictions');
  }, 60_000);

  it('nothing left to do is success with nothing appended, and no model loaded', async () => {
    const out = outFile();
    const first = await runInProcess([...classify, GOOD[0], GOOD[1], '--resume', out]);
    expect(first.code).toBe(0);
    const before = readFileSync(out, 'utf8');
    expect(lines(before).map(fileOf)).toEqual([GOOD[0], GOOD[1]]);
    expect((await runInProcess([...classify, GOOD[0], GOOD[1], '--resume', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(before);
    // Not even the model is loaded: a run over done inputs with weights that do not exist succeeds.
    const noModel = await runInProcess([...classify, GOOD[0], GOOD[1], '--resume', out, '--weights', join(dir, 'no-such-weights.safetensors')]);
    expect(noModel.code).toBe(0);
  }, 60_000);

  it('embed resumes its own records and refuses a classify file', async () => {
    const embed = ['embed', '--weights', TINY_WEIGHTS, '--quiet'];
    const full = lines((await runInProcess([...embed, ...GOOD.slice(0, 4)])).stdout);
    const out = outFile();
    writeFileSync(out, `${full[0]}\n${full[1].slice(0, full[1].length - 5)}`);
    expect((await runInProcess([...embed, ...GOOD.slice(0, 4), '--resume', out])).code).toBe(0);
    expect(lines(readFileSync(out, 'utf8'))).toEqual(full);
    const classified = outFile();
    writeFileSync(classified, `{"file":"a.jpg","predictions":[]}\n`);
    const refused = await runInProcess([...embed, GOOD[0], '--resume', classified]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/line 1: neither a \{"file", "features"\} result/);
  }, 60_000);

  it('with --shard each shard resumes its own file, and together they hold every input once', async () => {
    const inputs = [...GOOD, MISSING];
    const expected = lines((await runInProcess([...classify, ...inputs])).stdout);
    const outs = [0, 1, 2].map(() => outFile());
    // The largest shard was killed after its first record and a half line; the others never started.
    // (Which shard holds most depends on where the checkout is, as the paths are hashed; with 8
    // inputs over 3 shards one holds at least 3.)
    const shards = await Promise.all([0, 1, 2].map(async (i) => lines((await runInProcess([...classify, ...inputs, '--shard', `${i}/3`])).stdout)));
    const killed = shards.reduce((best, s, i) => (s.length > shards[best].length ? i : best), 0);
    expect(shards[killed].length).toBeGreaterThan(1);
    writeFileSync(outs[killed], `${shards[killed][0]}\n${shards[killed][1].slice(0, 10)}`);
    for (let i = 0; i < 3; i++) await runInProcess([...classify, ...inputs, '--shard', `${i}/3`, '--resume', outs[i]]);
    const all = outs.flatMap((o) => lines(readFileSync(o, 'utf8')));
    expect(all.sort()).toEqual([...expected].sort());
  }, 60_000);

  it('usage and output errors: another format (2), a folder that does not exist (74)', async () => {
    const json = await runInProcess(['classify', GOOD[0], '--weights', TINY_WEIGHTS, '--format', 'json', '--resume', outFile()]);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/--resume .*--format ndjson, not --format json/);
    const nowhere = await runInProcess([...classify, GOOD[0], '--resume', join(dir, 'no-such-folder', 'out.ndjson')]);
    expect(nowhere.code).toBe(74);
    expect(nowhere.stderr).toMatch(/cannot write the results: no such folder/);
  }, 60_000);
});
