// Writing features to a file: a safetensors file (tensor `features`, F32 [N, D], and the files
// of its rows as JSON in the metadata) or a NumPy .npy file (float32 [N, D], rows only). N counts
// the images that were embedded, in input order; failed inputs have no row.

import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodeSafetensors } from '../safetensors/index.js';
import type { FeaturesFileFormat } from './constants.js';
import { outputError } from './errors.js';


/** Features gathered row by row, written at the end (the shape in either header needs N). */
export class FeatureRows {
  private readonly rows: Float32Array[] = [];
  private readonly files: string[] = [];

  constructor(
    /** Floats per row: the model's embedDim. */
    readonly dim: number,
  ) {}

  get count(): number {
    return this.rows.length;
  }

  add(file: string, features: Float32Array): void {
    if (features.length !== this.dim) throw new RangeError(`FeatureRows.add: ${file}: ${features.length} features, expected ${this.dim}`);
    this.rows.push(features);
    this.files.push(file);
  }

  /** [N, D], row-major. */
  shape(): [number, number] {
    return [this.rows.length, this.dim];
  }

  /** The file's bytes; `metadata` goes into a safetensors header (beside `files`). */
  encode(format: FeaturesFileFormat, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
    const data = new Float32Array(this.rows.length * this.dim);
    this.rows.forEach((row, i) => data.set(row, i * this.dim));
    if (format === 'npy') return encodeNpy(data, this.shape());
    return encodeSafetensors({ features: { shape: this.shape(), data } }, { ...metadata, files: JSON.stringify(this.files) });
  }

  /** Write the file; a failure is an OutputError (exit 74) naming the path. */
  write(path: string, format: FeaturesFileFormat, metadata: Readonly<Record<string, string>> = {}): void {
    const bytes = this.encode(format, metadata);
    try {
      writeFileSync(path, bytes);
    } catch (e) {
      throw outputError(path, 'the features', e);
    }
  }
}

/**
 * Refuse at once an output path that cannot be written (a missing or read-only folder, a
 * directory), before any image is run rather than after all of them. Nothing is created.
 */
export function checkOutputPath(path: string, what: string): void {
  let code: string | undefined;
  try {
    if (statSync(path).isDirectory()) code = 'EISDIR';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw outputError(path, what, e);
    try {
      if (!statSync(dirname(path)).isDirectory()) code = 'ENOTDIR';
      else accessSync(dirname(path), constants.W_OK);
    } catch (inFolder) {
      throw outputError(path, what, inFolder);
    }
  }
  if (code !== undefined) throw outputError(path, what, { code });
}

// NumPy's .npy format, version 1.0 (numpy/lib/format.py): the magic string \x93NUMPY, the
// version bytes 1 and 0, the header's length as a little-endian uint16, then the header, a
// Python dict literal in ASCII padded with spaces and ended by a line feed so that the data
// starts at a multiple of 64 bytes; then the data in C order.
const NPY_MAGIC = [0x93, ...Buffer.from('NUMPY', 'latin1'), 1, 0];
const NPY_ALIGN = 64;

/** A .npy (v1.0) file of little-endian float32 values (`<f4`), C order, of the given shape. */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((n, d) => n * d, 1);
  if (count !== data.length) throw new RangeError(`encodeNpy: shape [${shape.join(', ')}] holds ${count} values, received ${data.length}`);
  // Python's repr of a tuple: (3,) for one dimension, (2, 3) for more.
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  const prefix = NPY_MAGIC.length + 2;
  const padding = (NPY_ALIGN - ((prefix + dict.length + 1) % NPY_ALIGN)) % NPY_ALIGN;
  const header = `${dict}${' '.repeat(padding)}\n`;
  if (header.length > 0xffff) throw new RangeError(`encodeNpy: a header of ${header.length} bytes does not fit version 1.0`);
  const out = new Uint8Array(prefix + header.length + data.length * 4);
  const view = new DataView(out.buffer);
  out.set(NPY_MAGIC, 0);
  view.setUint16(NPY_MAGIC.length, header.length, true);
  out.set(Buffer.from(header, 'latin1'), prefix);
  for (let i = 0; i < data.length; i++) view.setFloat32(prefix + header.length + i * 4, data[i], true);
  return out;
}
