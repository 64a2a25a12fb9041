// Where a model's weights come from, by timm name: a checkpoint, or numbers made in memory.

/** A source of tensors by timm name (a checkpoint, or numbers made in memory). */
export interface TensorSource {
  /** Write the tensor, as float32 in its stored order, into `dest` (exactly its element count). */
  readInto(timmName: string, dest: Float32Array): void;
}

/** The tensor `name` of `length` elements, read from `source` into a new array. */
export function readTensor(source: TensorSource, name: string, length: number): Float32Array {
  const out = new Float32Array(length);
  source.readInto(name, out);
  return out;
}
