// Hostile input at the command line's edges (issue 12): output that cannot be written, flag
// values beyond reason, control characters in names, odd lists of paths. Each gets one clear
// line and a documented exit code, and the other inputs still get their results.

import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BIN, IMAGES, isolateHub, ROOT, runInProcess, TINY_WEIGHTS } from './run.js';

const CAT = join(IMAGES, 'cat.jpg');
const COFFEE = join(IMAGES, 'coffee.png');
const tmp = () => mkdtempSync(join(tmpdir(), 'vit-cli-hardening-'));

isolateHub();

describe('output that cannot be written: one line, exit 74', () => {
  it.each([
    ['a missing folder', () => join(tmp(), 'no', 'such', 't.safetensors'), 'no such folder'],
    ['a directory', () => tmp(), 'is a directory'],
    ['/proc/version', () => '/proc/version', '(input/output error|permission denied|EPERM)'],
  ])('preprocess --out to %s', async (_what, out, why) => {
    const path = out();
    const { code, stdout, stderr } = await runInProcess(['preprocess', CAT, '--weights', TINY_WEIGHTS, '--out', path]);
    expect(code).toBe(74);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^vit: ${path}: cannot write the tensor: ${why}\\n$`));
  });

  it('results to a full disk (> /dev/full): one line on stderr, exit 74, no stack trace', () => {
    const script = `node ${BIN} classify ${CAT} --weights ${TINY_WEIGHTS} > /dev/full; echo "status $?"`;
    const out = execFileSync('bash', ['-c', `{ ${script}; } 2>&1`], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toBe('vit: cannot write the results to stdout: ENOSPC\nstatus 74\n');
  });
});

describe('flag values are bounded', () => {
  it('--threads above the cores is clamped, and says so', async () => {
    const { code, stderr } = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--threads', '200', '--quiet']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^vit: warning: --threads 200 is more than the \d+ cores: using \d+\n$/);
  });

  it.each([
    ['--threads', '5000', 'at most 256'],
    ['--batch-size', '100000', 'at most 1024'],
    ['--topk', '99999999999999999999', 'a positive integer'],
  ])('%s %s is a usage error (exit 2)', async (flag, value, expected) => {
    const { code, stderr } = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, flag, value, '--quiet']);
    expect(code).toBe(2);
    expect(stderr).toContain(`expected ${expected}, received '${value}'`);
  });
});

describe('hub settings', () => {
  it('a bad HF_HUB_ETAG_TIMEOUT is a usage error (exit 2) naming the variable', async () => {
    vi.stubEnv('HF_HUB_ETAG_TIMEOUT', 'soon');
    const { code, stderr } = await runInProcess(['download', 'vit_tiny_patch16_224', '--quiet']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/HF_HUB_ETAG_TIMEOUT/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('control characters from names are escaped in text and csv', () => {
  const dir = tmp();
  const hostile = join(dir, 'evil\u001b[2Jname\nforged line.jpg');
  copyFileSync(CAT, hostile);
  const labels = join(dir, 'labels.txt');
  writeFileSync(labels, Array.from({ length: 10 }, (_, i) => `label\u001b]0;pwned\u0007${i}`).join('\n'));

  it('text: file and label names', async () => {
    const { code, stdout } = await runInProcess(['classify', hostile, '--weights', TINY_WEIGHTS, '--labels', labels, '--topk', '1', '--quiet']);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/); // nothing but the line breaks of the table
    expect(stdout.split('\n')[0]).toBe(`${dir}/evil\\x1b[2Jname\\nforged line.jpg`);
    expect(stdout).toMatch(/label\\x1b\]0;pwned\\x07\d$/m);
  });

  it('csv: escaped too; json keeps the exact names (JSON escapes them)', async () => {
    const csv = await runInProcess(['classify', hostile, '--weights', TINY_WEIGHTS, '--labels', labels, '--topk', '1', '--format', 'csv', '--quiet']);
    expect(csv.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(csv.stdout.trim().split('\n')).toHaveLength(2);
    const json = await runInProcess(['classify', hostile, '--weights', TINY_WEIGHTS, '--labels', labels, '--topk', '1', '--format', 'json', '--quiet']);
    expect(JSON.parse(json.stdout).results[0].file).toBe(hostile);
  });

  it('error messages that quote a name', async () => {
    const { code, stderr } = await runInProcess(['classify', join(dir, 'missing\u001b[31m.jpg'), CAT, '--weights', TINY_WEIGHTS, '--quiet']);
    expect(code).toBe(1);
    expect(stderr).toContain('missing\\x1b[31m.jpg: no such file or directory');
    expect(stderr).not.toContain('\u001b');
  });
});

describe('lists of paths', () => {
  it('-0 reads NUL-separated paths from stdin, names kept exactly', async () => {
    const dir = tmp();
    const spaced = join(dir, ' leading space.png');
    copyFileSync(COFFEE, spaced);
    const { code, stdout } = await runInProcess(['classify', '-', '-0', '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--quiet'], { stdin: `${CAT}\0${spaced}\0` });
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l).file)).toEqual([CAT, spaced]);
  });

  it('binary data on stdin: an INVALID_PATH record for the line with a NUL, the other paths classified', async () => {
    const { code, stdout } = await runInProcess(['classify', '-', '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--quiet'], { stdin: `${CAT}\n\u0000\u0001\u00ff garbage\n${COFFEE}\n` });
    expect(code).toBe(1);
    const records = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'INVALID_PATH', 'ok']);
    expect(records[1].error.message).toMatch(/not a path: it contains a NUL byte \(for NUL-separated paths use -0\)/);
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable directory under --recursive is an EACCES record; the images beside it are classified', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'locked'));
    writeFileSync(join(dir, 'locked', 'x.jpg'), readFileSync(CAT));
    writeFileSync(join(dir, 'a.jpg'), readFileSync(CAT));
    chmodSync(join(dir, 'locked'), 0o000);
    try {
      const { code, stdout } = await runInProcess(['classify', dir, '--recursive', '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--quiet']);
      expect(code).toBe(1);
      const records = stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(records.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'EACCES']);
    } finally {
      chmodSync(join(dir, 'locked'), 0o755);
    }
  });
});
