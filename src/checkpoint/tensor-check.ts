// Checking a checkpoint's tensors against what a config needs: every missing, unexpected and
// mis-shaped tensor (and any non-float dtype) reported in one error, before anything is computed.

import type { Shape } from '../vit/parameters.js';

export class WeightsError extends Error {
  override name = 'WeightsError';
  constructor(
    message: string,
    readonly missing: readonly string[] = [],
    readonly unexpected: readonly string[] = [],
    readonly misshaped: readonly string[] = [],
  ) {
    super(message);
  }
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16']);
/** How many names of each kind to print before summarising ("... and 140 more"). */
const LIST_LIMIT = 12;

/** Compare `found` with an explicit name -> shape expectation (stored-check.ts makes it in the checkpoint's own names). */
export function checkTensors(
  expected: ReadonlyMap<string, Shape>,
  found: ReadonlyMap<string, { readonly shape: Shape; readonly dtype: string }>,
  source: string,
  modelDescription: string,
): void {
  const missing = [...expected.keys()].filter((k) => !found.has(k));
  const unexpected = [...found.keys()].filter((k) => !expected.has(k));
  const misshaped: string[] = [];
  const badDtype: string[] = [];
  for (const [name, shape] of expected) {
    const tensor = found.get(name);
    if (tensor === undefined) continue;
    if (!sameShape(tensor.shape, shape)) misshaped.push(`${name}: expected [${shape.join(', ')}], found [${tensor.shape.join(', ')}]`);
    if (!FLOAT_DTYPES.has(tensor.dtype)) badDtype.push(`${name}: ${tensor.dtype}`);
  }
  if (missing.length + unexpected.length + misshaped.length + badDtype.length === 0) return;

  const parts: string[] = [];
  if (missing.length > 0) parts.push(`missing ${missing.length}: ${listSome(missing)}`);
  if (unexpected.length > 0) parts.push(`unexpected ${unexpected.length}: ${listSome(unexpected)}`);
  if (misshaped.length > 0) parts.push(`wrong shape ${misshaped.length}: ${listSome(misshaped)}`);
  if (badDtype.length > 0) parts.push(`not F32/F16/BF16: ${listSome(badDtype)}`);
  throw new WeightsError(
    `${source}: the checkpoint does not match ${modelDescription}: ${parts.join('; ')}`,
    missing,
    unexpected,
    misshaped,
  );
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function listSome(items: string[]): string {
  const shown = items.slice(0, LIST_LIMIT).join(', ');
  return items.length > LIST_LIMIT ? `${shown}, ... and ${items.length - LIST_LIMIT} more` : shown;
}
