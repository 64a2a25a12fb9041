// The checkpoint layouts a ViT's weights can be stored under, and the contract of a naming: how
// one layout's tensor names map onto timm's (the names the model, the checks and the shape
// inference speak). A timm tensor is held by one stored tensor, or by several concatenated
// along dim 0 (transformers' query, key, value make timm's fused qkv).

import type { ModelSpec, NamedModel } from '../vit/named-models.js';
import type { Shape } from '../vit/parameters.js';

export type CheckpointLayout = 'timm' | 'transformers' | 'torchvision';

/** How messages name each layout. */
export const LAYOUT_TITLES: Readonly<Record<CheckpointLayout, string>> = {
  timm: 'timm',
  transformers: 'Hugging Face transformers',
  torchvision: 'torchvision',
};

/** Where a stored tensor goes: the timm tensor it is (part of), and its place among the parts. */
export interface StoredPlacement {
  readonly timmName: string;
  readonly part: number;
  readonly parts: number;
}

/** A config file the caller chose for a checkpoint, and why (for messages and provenance). */
export interface ConfigFile {
  readonly path: string;
  readonly json: unknown;
  /** e.g. "--config", "config.json beside the weights", "the hub's config.json". */
  readonly origin: string;
}

/** What a layout's resolution may use, besides the checkpoint's shapes. */
export interface ResolveContext {
  /** The weights file, for messages. */
  readonly source: string;
  /** The checkpoint's tensors under timm's names (incomplete fused tensors left out). */
  readonly shapes: ReadonlyMap<string, Shape>;
  /** The config to read (chosen by precedence: --config, then beside the weights), if any. */
  readonly config?: ConfigFile;
  /** transformers' preprocessor_config.json beside the weights or the config, if any. */
  readonly processorConfig?: ConfigFile;
  /** A named model (an explicit --model, or the hub id's), used when no config says the architecture. */
  readonly named?: { readonly model: NamedModel; readonly origin: string };
  /** An explicit head count (--heads): wins where the shapes cannot tell; a config that says otherwise is a conflict. */
  readonly numHeads?: number;
}

/** Where each setting of a resolved model came from, as `vit info` prints it. */
export interface Provenance {
  readonly architecture: string;
  readonly heads: string;
  readonly preprocessing: string;
  readonly labels?: string;
}

/** A checkpoint's architecture and preprocessing, settled by its layout's rules. */
export interface CheckpointModel extends ModelSpec {
  readonly layout: CheckpointLayout;
  /** Class names the config carries (timm's label_names, transformers' id2label). */
  readonly labelNames?: readonly string[];
  /** Human-readable notes on anything guessed or mapped. */
  readonly notes: readonly string[];
  /** Problems that do not stop the model (a malformed optional field, ignored and named). */
  readonly warnings?: readonly string[];
  readonly provenance: Provenance;
  /** The config files read, for display: config.json (and preprocessor_config.json). */
  readonly configFiles?: readonly string[];
}

/** One checkpoint layout: its namespace (detection), its rename table, and its resolution rules. */
export interface LayoutDefinition {
  readonly layout: CheckpointLayout;
  /** Whether a stored name is in this layout's namespace: detection counts these, and a mix of namespaces is refused. */
  owns(storedName: string): boolean;
  /** The stored tensor(s) holding a timm tensor, concatenated along dim 0 in this order; undefined if none can. */
  storedNamesOf(timmName: string): readonly string[] | undefined;
  /** The timm tensor a stored tensor belongs to; undefined when this layout cannot place it. */
  place(storedName: string): StoredPlacement | undefined;
  /** Throws for a checkpoint of this layout that is recognisably a variant the model cannot run. */
  refuseUnsupported(storedNames: readonly string[], source: string): void;
  /** The architecture and preprocessing of a checkpoint in this layout. */
  resolve(context: ResolveContext): CheckpointModel;
}

/** What the checks and the shape inference need to know of a tensor. */
export interface TensorSummary {
  readonly shape: readonly number[];
  readonly dtype: string;
}
