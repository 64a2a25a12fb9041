// The errors of `vit explain` that are the request's or the input's fault (app/errors.ts gives them their kind).

/** A layer, head or alpha the model or the method cannot take: a bad request (exit 2). */
export class ExplainOptionError extends Error {
  override name = 'ExplainOptionError';
  constructor(
    /** Which option: 'layer', 'head' or 'alpha'. */
    readonly option: 'layer' | 'head' | 'alpha',
    readonly value: number,
    /** Why, without the option's name ("the model has 12 layers, numbered 0 to 11"). */
    readonly reason: string,
  ) {
    super(`${option} ${value} is out of range: ${reason}`);
  }
}

/** Raised when the attention came out NaN or infinite (damaged weights): nothing can be drawn. */
export class NonFiniteAttentionError extends Error {
  override name = 'NonFiniteAttentionError';
  readonly code = 'NONFINITE';
}
