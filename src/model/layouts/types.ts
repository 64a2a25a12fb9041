// The checkpoint layouts a ViT's weights can be stored under, and the contract of a naming: how
// one layout's tensor names map onto timm's (the names the model, the checks and the shape
// inference speak). A timm tensor is held by one stored tensor, or by several concatenated
// along dim 0 (transformers' query, key, value make timm's fused qkv).

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

export interface LayoutNaming {
  readonly layout: CheckpointLayout;
  /** Whether a stored name is in this layout's namespace: detection counts these, and a mix of namespaces is refused. */
  owns(storedName: string): boolean;
  /** The stored tensor(s) holding a timm tensor, concatenated along dim 0 in this order; undefined if none can. */
  storedNamesOf(timmName: string): readonly string[] | undefined;
  /** The timm tensor a stored tensor belongs to; undefined when this layout cannot place it. */
  place(storedName: string): StoredPlacement | undefined;
  /** Throws for a checkpoint of this layout that is recognisably a variant the model cannot run. */
  refuseUnsupported(storedNames: readonly string[], source: string): void;
}

/** What the checks and the shape inference need to know of a tensor. */
export interface TensorSummary {
  readonly shape: readonly number[];
  readonly dtype: string;
}
