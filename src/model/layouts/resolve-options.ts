// The loader options that layout-specific resolution reads (a subset of load.ts's LoadOptions).

export interface LayoutResolveOptions {
  /** A config.json to use instead of the one beside the weights. */
  configPath?: string;
  /** Attention heads, overriding what the config or the shape inference says. */
  numHeads?: number;
}
