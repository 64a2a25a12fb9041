// `vit embed`, in-process on the tiny fixture (random weights): the features are what the head
// consumes, so features . head.weight^T + head.bias must give the logits `vit classify` prints;
// the file formats are read back (safetensors by our reader, .npy byte by byte against NumPy's
// format spec).

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetensorsBuffer } from '../../src/safetensors/index.js';
import { IMAGES, isolateHub, runInProcess, TINY_WEIGHTS } from './run.js';

const CAT = join(IMAGES, 'cat.jpg');
const COFFEE = join(IMAGES, 'coffee.png');
const MISSING = join(IMAGES, 'no_such.jpg');
const D = 48; // the tiny fixture's embed_dim
const tmp = () => mkdtempSync(join(tmpdir(), 'vit-embed-'));

isolateHub();

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l));

describe('vit embed --format ndjson (the default)', () => {
  it('one {file, features} line per input in input order; a failure is the error record classify writes', async () => {
    const { code, stdout, stderr } = await runInProcess(['embed', CAT, MISSING, COFFEE, '--weights', TINY_WEIGHTS, '--quiet']);
    expect(code).toBe(1);
    const records = lines(stdout);
    expect(records.map((r) => r.file)).toEqual([CAT, MISSING, COFFEE]);
    expect(Object.keys(records[0])).toEqual(['file', 'features']);
    expect(records[0].features).toHaveLength(D);
    expect(records[1]).toEqual({ file: MISSING, error: { code: 'ENOENT', message: `${MISSING}: no such file or directory` } });
    expect(stderr).toBe('');
    const classified = lines((await runInProcess(['classify', MISSING, '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--quiet'])).stdout);
    expect(records[1]).toEqual(classified[0]);
  });

  it('features . head.weight^T + head.bias reproduces the logits classify prints, to float32 rounding', async () => {
    const embedded = lines((await runInProcess(['embed', CAT, COFFEE, '--weights', TINY_WEIGHTS, '--batch-size', '2'])).stdout);
    const classified = lines((await runInProcess(['classify', CAT, COFFEE, '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--topk', '10'])).stdout);
    const checkpoint = SafetensorsBuffer.read(TINY_WEIGHTS);
    const W = checkpoint.float32('head.weight'); // [10][48]
    const b = checkpoint.float32('head.bias'); // [10]
    expect(W).toHaveLength(10 * D);
    for (const [i, record] of embedded.entries()) {
      expect(record.file).toBe(classified[i].file);
      // Each printed number reads back as exactly the model's float32 (the file formats below check this).
      const f = Float32Array.from(record.features as number[]);
      for (const p of classified[i].predictions as { index: number; logit: number }[]) {
        // The exact dot product (float64 holds each float32 product exactly and sums 48 of them far
        // below float32's rounding), and what float32 arithmetic may lose on it in any summation
        // order: the classic bound gamma_n * sum |terms| with gamma_n = n u / (1 - n u), u = 2^-24,
        // n = D + 1 roundings (D products and adds, and the bias add), and the rounding of the result.
        let exact = b[p.index];
        let magnitude = Math.abs(b[p.index]);
        for (let d = 0; d < D; d++) {
          exact += f[d] * W[p.index * D + d];
          magnitude += Math.abs(f[d] * W[p.index * D + d]);
        }
        const u = 2 ** -24;
        const n = D + 1;
        const tolerance = ((n * u) / (1 - n * u)) * magnitude + u * Math.abs(exact);
        expect(Math.abs(p.logit - exact), `${record.file} class ${p.index}: ${p.logit} vs ${exact} (tolerance ${tolerance})`).toBeLessThanOrEqual(tolerance);
        // The bound is tight enough to mean something: far below the gaps between the logits.
        expect(tolerance).toBeLessThan(1e-4);
      }
    }
  });

  it('batching does not change the features', async () => {
    const one = await runInProcess(['embed', CAT, COFFEE, CAT, '--weights', TINY_WEIGHTS, '--batch-size', '1']);
    const three = await runInProcess(['embed', CAT, COFFEE, CAT, '--weights', TINY_WEIGHTS, '--batch-size', '3']);
    expect(three.stdout).toBe(one.stdout);
  });
});

describe('vit embed --format safetensors / npy --out F', () => {
  it('safetensors: features F32 [N, D] for the images that succeeded, their files (JSON) in the metadata', async () => {
    const out = join(tmp(), 'features.safetensors');
    const { code, stdout, stderr } = await runInProcess(['embed', CAT, MISSING, COFFEE, '--weights', TINY_WEIGHTS, '--format', 'safetensors', '--out', out]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${MISSING}: no such file or directory\n`);
    expect(stderr).toContain(`vit: wrote ${out}: features float32 [2, ${D}]\n`);
    const file = SafetensorsBuffer.read(out);
    expect(file.names).toEqual(['features']);
    expect(file.info('features')).toMatchObject({ dtype: 'F32', shape: [2, D] });
    expect(JSON.parse(file.metadata.files)).toEqual([CAT, COFFEE]);
    expect(file.metadata.model).toBe('vit_tiny_fixture');
    const ndjson = lines((await runInProcess(['embed', CAT, COFFEE, '--weights', TINY_WEIGHTS])).stdout);
    // The ndjson text reads back as exactly the float32 values in the file.
    expect(Array.from(file.float32('features'))).toEqual([...ndjson[0].features, ...ndjson[1].features].map(Math.fround));
  });

  it('npy: version 1.0, <f4, C order, shape (N, D), header padded so the data starts at byte 128', async () => {
    const out = join(tmp(), 'features.npy');
    const { code } = await runInProcess(['embed', CAT, COFFEE, '--weights', TINY_WEIGHTS, '--format', 'npy', '--out', out, '--quiet']);
    expect(code).toBe(0);
    const bytes = readFileSync(out);
    // Written out by hand from numpy/lib/format.py: magic \x93NUMPY, version 1 0, uint16 LE header
    // length, then the dict, spaces and '\n' up to a multiple of 64 bytes. The dict is 60 bytes, so
    // 10 + 60 + 57 spaces + 1 = 128 and the header length is 118 = 0x76.
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 48), }";
    expect(dict).toHaveLength(60);
    const expectedHeader = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00]), Buffer.from(`${dict}${' '.repeat(57)}\n`, 'latin1')]);
    expect(bytes.subarray(0, 128)).toEqual(expectedHeader);
    expect(bytes.length).toBe(128 + 2 * D * 4);
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 128, bytes.byteOffset + bytes.length));
    const ndjson = lines((await runInProcess(['embed', CAT, COFFEE, '--weights', TINY_WEIGHTS])).stdout);
    expect(Array.from(data)).toEqual([...ndjson[0].features, ...ndjson[1].features].map(Math.fround));
  });

  it('the file formats need --out, ndjson takes none (exit 2)', async () => {
    const noOut = await runInProcess(['embed', CAT, '--weights', TINY_WEIGHTS, '--format', 'npy']);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toBe('vit: --format npy writes a file: give --out <file>\n');
    const stray = await runInProcess(['embed', CAT, '--weights', TINY_WEIGHTS, '--out', join(tmp(), 'x.npy')]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/^vit: --out is for --format safetensors or npy/);
  });

  it('an --out that cannot be written is exit 74 before any image is run (a missing folder, a directory)', async () => {
    const dir = tmp();
    const missing = await runInProcess(['embed', CAT, '--weights', TINY_WEIGHTS, '--format', 'safetensors', '--out', join(dir, 'nope', 'f.safetensors')]);
    expect(missing.code).toBe(74);
    expect(missing.stderr).toBe(`vit: ${join(dir, 'nope', 'f.safetensors')}: cannot write the features: no such folder\n`);
    const directory = await runInProcess(['embed', CAT, '--weights', TINY_WEIGHTS, '--format', 'npy', '--out', dir]);
    expect(directory.code).toBe(74);
    expect(directory.stderr).toBe(`vit: ${dir}: cannot write the features: is a directory\n`);
  });
});
