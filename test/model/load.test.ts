import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import type { Arena } from '../../src/backend/types.js';
import { loadVitModel } from '../../src/app/load-model.js';
import { WeightsError } from '../../src/checkpoint/index.js';
import { encodeSafetensors, SafetensorsBuffer, type TensorToWrite } from '../../src/safetensors/index.js';
import { loadParityFixture, maxAbsDiff, MODEL_FIXTURES } from './fixtures.js';

const TINY = join(MODEL_FIXTURES, 'tiny');

/** The tiny fixture checkpoint, edited, written to a temp dir (with or without its config.json). */
function editedCheckpoint(edit: (tensors: Record<string, TensorToWrite>) => void, withConfig = true): string {
  const source = SafetensorsBuffer.read(join(TINY, 'model.safetensors'));
  const tensors: Record<string, TensorToWrite> = {};
  for (const name of source.names) tensors[name] = { shape: source.info(name).shape, data: source.float32(name) };
  edit(tensors);
  const dir = mkdtempSync(join(tmpdir(), 'vit-load-'));
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  if (withConfig) copyFileSync(join(TINY, 'config.json'), join(dir, 'config.json'));
  return join(dir, 'model.safetensors');
}

/** A backend that records whether an arena was ever created, to prove checks come first. */
class SpyBackend extends ReferenceBackend {
  arenas = 0;
  override createArena(bytes: number): Arena {
    this.arenas++;
    return super.createArena(bytes);
  }
}

async function loadError(path: string, model?: string): Promise<WeightsError> {
  const backend = new SpyBackend();
  const error = await loadVitModel(path, { backend, model }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeightsError);
  expect(backend.arenas).toBe(0); // rejected before any memory was set up or compute ran
  return error as WeightsError;
}

describe('loading checks every tensor before running', () => {
  it('reports a missing tensor by name', async () => {
    const e = await loadError(editedCheckpoint((t) => delete t['blocks.1.mlp.fc2.bias']));
    expect(e.missing).toEqual(['blocks.1.mlp.fc2.bias']);
    expect(e.message).toMatch(/does not match vit_tiny_fixture \(config\.json beside the weights\): missing 1: blocks\.1\.mlp\.fc2\.bias/);
  });

  it('reports an unexpected tensor by name', async () => {
    const e = await loadError(editedCheckpoint((t) => (t['blocks.0.ls1.gamma'] = { shape: [48], data: new Float32Array(48) })));
    expect(e.unexpected).toEqual(['blocks.0.ls1.gamma']);
    expect(e.message).toMatch(/unexpected 1: blocks\.0\.ls1\.gamma/);
  });

  it('reports a wrong shape with expected and found', async () => {
    const e = await loadError(editedCheckpoint((t) => (t['head.bias'] = { shape: [11], data: new Float32Array(11) })));
    expect(e.message).toMatch(/wrong shape 1: head\.bias: expected \[10\], found \[11\]/);
  });

  it('reports all problems at once', async () => {
    const e = await loadError(
      editedCheckpoint((t) => {
        delete t['norm.weight'];
        t.extra = { shape: [1], data: new Float32Array(1) };
        t.cls_token = { shape: [1, 48], data: new Float32Array(48) };
      }),
    );
    expect([e.missing, e.unexpected, e.misshaped.length]).toEqual([['norm.weight'], ['extra'], 1]);
  });

  it('refuses weights of a different architecture than the named model', async () => {
    const e = await loadError(editedCheckpoint(() => {}, false), 'vit_base_patch16_384'); // no config.json: --model decides
    expect(e.message).toMatch(/does not match vit_base_patch16_384 \(--model vit_base_patch16_384\): missing \d+: .*wrong shape \d+: cls_token: expected \[1, 1, 768\], found \[1, 1, 48\]/);
  });

  it('infers the architecture from shapes when asked, and still matches the reference', async () => {
    const fx = loadParityFixture(TINY);
    const path = editedCheckpoint(() => {}, false);
    const model = await loadVitModel(path, { model: 'auto', heads: 3, maxBatch: 2 });
    expect(model.resolved.provenance.architecture).toBe('the tensor shapes');
    expect(maxAbsDiff(model.forward(fx.input, fx.batch).logits, fx.logits)).toBeLessThanOrEqual(1e-4);
  });

  it('reads F16 checkpoints (converted to float32 on load)', async () => {
    // Round every tensor to F16 by hand: 1.0 + small values are exactly representable checks of the path.
    const path = editedCheckpoint((t) => {
      for (const [name, tensor] of Object.entries(t)) {
        const data = tensor.data as Float32Array;
        const half = new Uint16Array(data.length);
        for (let i = 0; i < data.length; i++) half[i] = toF16(data[i]);
        t[name] = { shape: tensor.shape, data: new Uint8Array(half.buffer), dtype: 'F16' };
      }
    });
    const fx = loadParityFixture(TINY);
    const model = await loadVitModel(path, { maxBatch: 2 });
    // F16 rounding of the weights (relative 2^-11) moves logits, but not far.
    const diff = maxAbsDiff(model.forward(fx.input, fx.batch).logits, fx.logits);
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.05);
  });
});

/** float32 -> IEEE half, round to nearest even (normal range only, enough for these weights). */
function toF16(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  if (exponent <= 0) return sign; // flush tiny values to zero
  let mantissa = (bits >>> 13) & 0x3ff;
  const rest = bits & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && mantissa & 1)) mantissa++;
  return sign | ((exponent + (mantissa >> 10)) << 10) | (mantissa & 0x3ff);
}
