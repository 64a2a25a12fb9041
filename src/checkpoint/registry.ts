// The registry of checkpoint layouts, and telling a checkpoint's layout from its tensor names.
// Adding a layout: one file in layouts/ and one entry in LAYOUTS. Each layout owns a namespace (timm's
// `blocks.*`, torchvision's `encoder.layers.*`, transformers' `vit.*`...): exactly one must
// own names in the checkpoint. None: an unknown layout; several: a mix. Both are refused,
// listing the tensors that could not be placed. Names no layout owns beside a recognised one
// are left to the check, which reports them as unexpected with every other problem.

import { timmNaming } from './layouts/timm.js';
import { torchvisionNaming } from './layouts/torchvision.js';
import { transformersNaming } from './layouts/transformers.js';
import { WeightsError } from './tensor-check.js';
import { LAYOUT_TITLES, type LayoutDefinition } from './types.js';

export const LAYOUTS: readonly LayoutDefinition[] = [timmNaming, transformersNaming, torchvisionNaming];

/** How many names an error lists before summarising. */
const EXAMPLES = 5;

/** The layout could not be determined: `unexpected` holds the tensors that could not be placed. */
export class CheckpointLayoutError extends WeightsError {
  override name = 'CheckpointLayoutError';
}

/** The one layout whose namespace the names are in, after its own refusals (e.g. no classifier). */
export function detectLayout(storedNames: readonly string[], source: string): LayoutDefinition {
  const owners = LAYOUTS.map((naming) => ({ naming, owned: storedNames.filter((name) => naming.owns(name)).length })).filter(
    (candidate) => candidate.owned > 0,
  );
  const known = LAYOUTS.map((naming) => LAYOUT_TITLES[naming.layout]).join(', ');
  if (storedNames.length === 0) throw new CheckpointLayoutError(`${source}: the checkpoint holds no tensors`);
  if (owners.length === 0) {
    throw new CheckpointLayoutError(
      `${source}: unknown checkpoint layout: could not place any of its ${storedNames.length} tensors as ViT weights (${known}): ${examples(storedNames)}`,
      [],
      [...storedNames],
    );
  }
  if (owners.length > 1) {
    const main = owners.reduce((best, candidate) => (candidate.owned > best.owned ? candidate : best));
    const unplaced = storedNames.filter((name) => !main.naming.owns(name));
    const mixed = owners.map((o) => `${o.owned} ${LAYOUT_TITLES[o.naming.layout]}`).join(', ');
    throw new CheckpointLayoutError(
      `${source}: the tensor names mix checkpoint layouts (${mixed}): could not place ${unplaced.length} tensors in the ` +
        `${LAYOUT_TITLES[main.naming.layout]} layout: ${examples(unplaced)}`,
      [],
      unplaced,
    );
  }
  const naming = owners[0].naming;
  naming.refuseUnsupported(storedNames, source);
  return naming;
}

function examples(names: readonly string[]): string {
  const shown = names.slice(0, EXAMPLES).join(', ');
  return names.length > EXAMPLES ? `${shown}, ... (${names.length} in all)` : shown;
}
