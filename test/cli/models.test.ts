// `vit models`, in-process: one row per entry of the one model table, the parameter counts timm
// reports, the default tag's repository, and the hub cache looked at without the network.

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveModelId } from '../../src/app/model-ids.js';
import { DEFAULT_MODEL, NAMED_MODELS } from '../../src/vit/named-models.js';
import { isolateHub, runInProcess } from './run.js';

const hubCache = isolateHub(); // nothing listens at the hub's address: a request would fail the run

/** What huggingface_hub leaves for a downloaded file: refs/main, the blob, and the snapshot link to it. */
function fakeCached(repo: string): void {
  const dir = join(hubCache(), `models--${repo.replace('/', '--')}`);
  const commit = 'a'.repeat(40);
  mkdirSync(join(dir, 'refs'), { recursive: true });
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  mkdirSync(join(dir, 'snapshots', commit), { recursive: true });
  writeFileSync(join(dir, 'refs', 'main'), commit);
  writeFileSync(join(dir, 'blobs', 'b'.repeat(64)), 'weights');
  symlinkSync(join('..', '..', 'blobs', 'b'.repeat(64)), join(dir, 'snapshots', commit, 'model.safetensors'));
}

describe('vit models', () => {
  it('json: every named model, in table order, with its size, default repository and cache state', async () => {
    fakeCached('timm/vit_small_patch16_224.augreg_in21k_ft_in1k');
    const { code, stdout, stderr } = await runInProcess(['models', '--format', 'json']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const models = JSON.parse(stdout) as { name: string; parameters: number; imageSize: number; patchSize: number; repo: string; cached: boolean; isDefault: boolean }[];
    expect(models.map((m) => m.name)).toEqual([...NAMED_MODELS.keys()]);
    for (const m of models) {
      const spec = NAMED_MODELS.get(m.name)!;
      expect([m.imageSize, m.patchSize]).toEqual([spec.config.imgSize, spec.config.patchSize]);
      expect(m.repo).toBe(resolveModelId(m.name).repo);
      expect(m.repo).toBe(`timm/${m.name}.${spec.tags[0].tag}`);
      expect(m.cached).toBe(m.name === 'vit_small_patch16_224');
      expect(m.isDefault).toBe(m.name === DEFAULT_MODEL);
    }
    // timm's own counts (sum(p.numel() for p in model.parameters())), not computed here.
    const parameters = Object.fromEntries(models.map((m) => [m.name, m.parameters]));
    expect(parameters).toMatchObject({
      vit_tiny_patch16_224: 5_717_416,
      vit_small_patch16_224: 22_050_664,
      vit_base_patch16_224: 86_567_656,
      vit_base_patch16_384: 86_859_496,
      vit_large_patch16_224: 304_326_632,
    });
  });

  it('a snapshot link whose blob is gone is not cached', async () => {
    fakeCached('timm/vit_small_patch16_224.augreg_in21k_ft_in1k');
    const { rmSync } = await import('node:fs');
    rmSync(join(hubCache(), 'models--timm--vit_small_patch16_224.augreg_in21k_ft_in1k', 'blobs'), { recursive: true });
    const models = JSON.parse((await runInProcess(['models', '--format', 'json'])).stdout) as { cached: boolean }[];
    expect(models.every((m) => !m.cached)).toBe(true);
  });

  it('text: an aligned table, a row per model, the default starred', async () => {
    fakeCached('timm/vit_base_patch16_384.augreg_in21k_ft_in1k');
    const { code, stdout } = await runInProcess(['models']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^model +params +image +patch +hub repository \(default tag\) +cached$/);
    expect(lines.slice(1, -1)).toHaveLength(NAMED_MODELS.size);
    expect(lines.at(-1)).toBe('* the default model');
    expect(lines).toContainEqual(expect.stringMatching(/^vit_base_patch16_384 \* +86\.9M +384 +16 +timm\/vit_base_patch16_384\.augreg_in21k_ft_in1k +yes$/));
    expect(lines).toContainEqual(expect.stringMatching(/^vit_tiny_patch16_224 +5\.7M +224 +16 +timm\/vit_tiny_patch16_224\.augreg_in21k_ft_in1k +no$/));
    // aligned: numbers end under the end of their header, names start under its start
    const header = lines[0];
    const end = (word: string) => header.indexOf(word) + word.length;
    for (const line of lines.slice(1, -1)) {
      expect(line.slice(end('params') - 1, end('params') + 1)).toBe('M ');
      expect(line.slice(end('image') - 4, end('image') + 1)).toMatch(/^ \d{3} $/);
      expect(line.slice(end('patch') - 3, end('patch') + 1)).toMatch(/^ \d{2} $/);
      expect(line.slice(header.indexOf('hub'))).toMatch(/^timm\/\S+ +(yes|no)$/);
      expect(line.slice(header.indexOf('cached'))).toMatch(/^(yes|no)$/);
    }
  });
});
