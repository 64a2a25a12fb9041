// The library as a Node service would use it: the package's own entry point (dist/, through
// package.json "exports", the way `import ... from 'vit-classify'` resolves), not the sources.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { IMAGES, TINY_WEIGHTS } from './cli/run.js';

const CAT = join(IMAGES, 'cat.jpg');

describe("import { loadModel, classify } from 'vit-classify'", () => {
  it('classifies a path, encoded bytes and decoded pixels alike', async () => {
    const { loadModel, classify, classifyMany } = await import('vit-classify');
    const classifier = await loadModel({ weights: TINY_WEIGHTS, backend: 'ref' });
    try {
      expect(classifier.labels).toHaveLength(10);
      const fromPath = await classify(classifier, CAT, { topk: 3 });
      expect(fromPath.predictions.map((p) => p.rank)).toEqual([1, 2, 3]);
      // 451x300 -> shorter side to 32 -> 48x32, centre crop 32x32 at left (48 - 32) / 2
      expect(fromPath.geometry.cropBox).toEqual({ left: 8, top: 0, width: 32, height: 32 });

      const fromBytes = await classify(classifier, readFileSync(CAT), { topk: 3 });
      expect(fromBytes.predictions).toEqual(fromPath.predictions);

      const { data, info } = await sharp(CAT).raw().toBuffer({ resolveWithObject: true });
      const fromPixels = await classify(classifier, { width: info.width, height: info.height, data: new Uint8Array(data) }, { topk: 3 });
      expect(fromPixels.predictions).toEqual(fromPath.predictions);

      const many = await classifyMany(classifier, [CAT, join(IMAGES, 'coffee.png')], { topk: 1 });
      expect(many).toHaveLength(2);
      expect(many[0].predictions[0]).toEqual(fromPath.predictions[0]);
    } finally {
      classifier.dispose();
    }
  });

  it('embeds an image: embed, embedMany and embedStream give the same features', async () => {
    const { loadModel, embed, embedMany, embedStream } = await import('vit-classify');
    const classifier = await loadModel({ weights: TINY_WEIGHTS, backend: 'ref', batchSize: 2 });
    try {
      const one = await embed(classifier, CAT);
      expect(one.features).toHaveLength(classifier.model.config.embedDim);
      expect(one.geometry.cropBox).toEqual({ left: 8, top: 0, width: 32, height: 32 });
      const [many] = await embedMany(classifier, [CAT]);
      expect(many.features).toEqual(one.features);
      const records = [];
      for await (const record of embedStream(classifier, [{ path: CAT }, { path: join(IMAGES, 'not_an_image.jpg') }])) records.push(record);
      expect(records[0]).toEqual({ file: CAT, features: one.features });
      expect(records[1]).toMatchObject({ error: { code: 'UNSUPPORTED_FORMAT' } });
    } finally {
      classifier.dispose();
    }
  });

  it('explains an image: the rollout grid and the heat map over the original', async () => {
    const { loadModel, explain, renderExplanation, ExplainOptionError } = await import('vit-classify');
    const classifier = await loadModel({ weights: TINY_WEIGHTS, backend: 'ref' });
    try {
      const explanation = await explain(classifier, CAT);
      expect(explanation.gridSize).toEqual([4, 4]); // 32 px, 8 px patches
      // The rollout's class row sums to 1 with the class token's own share, which is not in the grid.
      const total = explanation.grid.reduce((s, v) => s + v, 0);
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThan(1);
      const picture = renderExplanation(explanation, 0.5);
      expect([picture.width, picture.height]).toEqual([451, 300]);
      await expect(explain(classifier, CAT, { target: { kind: 'attention', layer: 2 } })).rejects.toBeInstanceOf(ExplainOptionError);
    } finally {
      classifier.dispose();
    }
  });

  it('rejects an undecodable image with a typed error naming the file', async () => {
    const { loadModel, classify, ImageDecodeError } = await import('vit-classify');
    const classifier = await loadModel({ weights: TINY_WEIGHTS });
    try {
      const error = await classify(classifier, join(IMAGES, 'not_an_image.jpg')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageDecodeError);
      expect((error as InstanceType<typeof ImageDecodeError>).code).toBe('UNSUPPORTED_FORMAT');
    } finally {
      classifier.dispose();
    }
  });
});
