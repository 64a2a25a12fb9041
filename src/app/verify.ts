// Reference verification: run a checkpoint on a reference file's input and compare our logits
// (and features) with the reference's, or check the bundled PyTorch fixtures. The reference is
// validated against the model before anything runs: every tensor's rank and shape, named in the
// error with what was expected. Tolerance, highest precedence first: the explicit atol/rtol, the
// reference's metadata, the default. With precision int8 the tolerances do not decide: the run is
// judged by its agreement with the reference (agreement.ts: every image's logit cosine >= the
// rule's minimum), and the model is loaded with its LayerNorms folded (vit/fold-norms.ts) unless
// told otherwise.

import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BackendName, Int8AttentionMode, Precision } from '../backend/index.js';
import { SafetensorsBuffer, SafetensorsError } from '../safetensors/index.js';
import { BUNDLED_FIXTURES_DIR } from '../paths.js';
import { NAMED_MODELS } from '../vit/named-models.js';
import { DEFAULT_AGREEMENT_RULE, measureAgreement, type Agreement } from './agreement.js';
import { compareOutputs, DEFAULT_TOLERANCE, type OutputComparison, type Tolerance } from './compare-outputs.js';
import { loadVitModel } from './load-model.js';
import { startBackend } from './start-backend.js';

export interface VerifyPair {
  name: string;
  weights: string;
  reference: string;
}

export interface VerifyOptions {
  model?: string;
  config?: string;
  heads?: number;
  atol?: number;
  rtol?: number;
  backend?: BackendName;
  threads?: number;
  precision?: Precision;
  /** int8 only: which attention matmuls run in int8 (default 'off'). */
  int8Attention?: Int8AttentionMode;
  /** int8 only: the PASS rule's minimum per-image logit cosine (default DEFAULT_AGREEMENT_RULE's). */
  minCosine?: number;
  /** int8 only: fold LayerNorm gamma/beta into the next Linear at load (default true). */
  foldNorms?: boolean;
}

export interface VerifyRun extends VerifyPair {
  precision: Precision;
  /** Which attention matmuls ran in int8. */
  int8Attention: Int8AttentionMode;
  /** int8 only: whether the LayerNorms were folded into the next Linear. */
  foldNorms?: boolean;
  samples: number;
  tolerance: Tolerance;
  logits: OutputComparison;
  features?: OutputComparison;
  /** int8 only: agreement with the reference; its rule, not the tolerance, decides `passed`. */
  agreement?: Agreement;
  passed: boolean;
  /** What the caller should be told: guessed settings, ignored fields, clamped options. */
  warnings: string[];
}

/** A reference file that does not fit the model (exit 3), or that is malformed. */
export class ReferenceError extends SafetensorsError {
  override name = 'ReferenceError';
}

/** The PyTorch parity fixtures shipped with the package. */
export function bundledFixtures(dir = BUNDLED_FIXTURES_DIR): VerifyPair[] {
  const dirs = existsSync(dir) ? readdirSync(dir).sort() : [];
  const pairs = dirs
    .map((name) => ({ name, weights: join(dir, name, 'model.safetensors'), reference: join(dir, name, 'reference.safetensors') }))
    .filter((p) => existsSync(p.weights) && existsSync(p.reference));
  if (pairs.length === 0) throw new ReferenceError(dir, 'no bundled fixtures here; pass --weights and --reference');
  return pairs;
}

export function referencePair(weights: string, reference: string): VerifyPair {
  return { name: basename(reference), weights, reference };
}

export async function verifyPair(pair: VerifyPair, options: VerifyOptions = {}): Promise<VerifyRun> {
  const reference = SafetensorsBuffer.read(pair.reference);
  for (const required of ['input', 'logits']) {
    if (!reference.names.includes(required)) throw new ReferenceError(pair.reference, "missing: a reference file holds 'input' and 'logits', and optionally 'features'", required);
  }
  const meta = reference.metadata;
  const tolerance: Tolerance = {
    atol: options.atol ?? metadataTolerance(meta.atol, 'atol', pair.reference) ?? DEFAULT_TOLERANCE.atol,
    rtol: options.rtol ?? metadataTolerance(meta.rtol, 'rtol', pair.reference) ?? DEFAULT_TOLERANCE.rtol,
  };
  const precision = options.precision ?? 'fp32';
  const int8 = precision === 'int8';
  if (!int8 && (options.minCosine !== undefined || options.foldNorms !== undefined)) {
    throw new RangeError('verifyPair: minCosine and foldNorms apply to precision int8 only');
  }
  const foldNorms = int8 ? (options.foldNorms ?? true) : undefined;
  const metaModel = meta.model !== undefined && NAMED_MODELS.has(meta.model) ? meta.model : undefined;
  const { backend, warnings } = await startBackend(options.backend, options.threads, options.precision, options.int8Attention);
  try {
    const batch = referenceBatch(reference, pair.reference);
    const model = await loadVitModel(pair.weights, { backend, config: options.config, model: options.model ?? metaModel, heads: options.heads, maxBatch: batch, fetch: 'cache', foldNorms });
    const { inChans: C, imgSize: S, numClasses, embedDim } = model.config;
    expectShape(reference, 'input', [batch, C, S, S], pair.reference, `the model (${model.resolved.name}) takes`);
    expectShape(reference, 'logits', [batch, numClasses], pair.reference, `the model gives ${numClasses} classes:`);
    const hasFeatures = reference.names.includes('features');
    if (hasFeatures) expectShape(reference, 'features', [batch, embedDim], pair.reference, `the model gives features of width ${embedDim}:`);
    const out = model.forward(reference.float32('input'), batch);
    const logits = compareOutputs(out.logits, reference.float32('logits'), batch, tolerance);
    const features = hasFeatures ? compareOutputs(out.features, reference.float32('features'), batch, tolerance) : undefined;
    const agreement = int8 ? measureAgreement(out.logits, reference.float32('logits'), batch, { minCosine: options.minCosine ?? DEFAULT_AGREEMENT_RULE.minCosine }) : undefined;
    const passed = agreement ? agreement.passed : logits.withinTolerance && (features?.withinTolerance ?? true);
    return { ...pair, precision, int8Attention: backend.int8Attention, foldNorms, samples: batch, tolerance, logits, features, agreement, passed, warnings: [...model.resolved.warnings, ...warnings] };
  } finally {
    backend.dispose();
  }
}

/** The sample count: input's first dimension, which must be a positive batch of a rank-4 tensor. */
function referenceBatch(reference: SafetensorsBuffer, path: string): number {
  const shape = reference.info('input').shape;
  if (shape.length !== 4 || shape[0] < 1) {
    throw new ReferenceError(path, `must be F32 [batch >= 1, channels, height, width], found [${shape.join(', ')}]`, 'input');
  }
  return shape[0];
}

function expectShape(reference: SafetensorsBuffer, name: string, expected: readonly number[], path: string, why: string): void {
  const info = reference.info(name);
  const same = info.shape.length === expected.length && info.shape.every((d, i) => d === expected[i]);
  if (!same) throw new ReferenceError(path, `[${info.shape.join(', ')}] does not fit: ${why} [${expected.join(', ')}]`, name);
}

/** atol/rtol from the reference's metadata: absent is the default; anything but a finite number >= 0 is an error. */
function metadataTolerance(value: string | undefined, key: string, path: string): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ReferenceError(path, `__metadata__ ${key} must be a non-negative number, found ${JSON.stringify(value)}`);
  return n;
}
