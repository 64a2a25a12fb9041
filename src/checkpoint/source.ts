// A safetensors checkpoint in any supported layout, exposed in timm's terms: the loader asks
// for timm tensors by timm name, and each is read from its stored tensor(s) straight into the
// caller's memory (a fused qkv: its parts one after the other into consecutive slices of the
// destination; no intermediate copy of the weights).

import type { Stats } from 'node:fs';
import { SafetensorsFileReader } from '../safetensors/index.js';
import { countNonFinite } from '../util/non-finite.js';
import type { VitConfig } from '../vit/config.js';
import type { Shape } from '../vit/parameters.js';
import { detectLayout } from './registry.js';
import { checkStoredTensors } from './stored-check.js';
import { WeightsError } from './tensor-check.js';
import { timmView, type TimmTensor } from './timm-view.js';
import type { CheckpointLayout, LayoutDefinition, TensorSummary } from './types.js';

export interface SourceOptions {
  /**
   * Counts the NaN and infinities in what readInto read (default util/non-finite.ts): a backend's
   * faster count of its own memory (Backend.countNonFinite), say.
   */
  countNonFinite?: (values: Float32Array) => number;
}

export class CheckpointSource {
  /** timm name -> shape, dtype, numel, for every timm tensor the stored ones make up. */
  readonly tensors: ReadonlyMap<string, TimmTensor>;

  private constructor(
    private readonly reader: SafetensorsFileReader,
    readonly naming: LayoutDefinition,
    private readonly countNonFinite: (values: Float32Array) => number,
  ) {
    this.tensors = timmView(naming, reader.header.tensors);
  }

  /** The checkpoint file, as given. */
  get path(): string {
    return this.reader.header.source;
  }

  /** Open and detect the layout (refusing unknown, mixed and unsupported ones); no tensor data is read yet. */
  static open(path: string, options: SourceOptions = {}): CheckpointSource {
    const reader = SafetensorsFileReader.open(path);
    try {
      return new CheckpointSource(reader, detectLayout(reader.names, reader.header.source), options.countNonFinite ?? countNonFinite);
    } catch (e) {
      reader.close();
      throw e;
    }
  }

  get layout(): CheckpointLayout {
    return this.naming.layout;
  }

  /** The tensors as stored, by their original names. */
  get stored(): ReadonlyMap<string, TensorSummary> {
    return this.reader.header.tensors;
  }

  /** The file's `__metadata__`. */
  get metadata(): Readonly<Record<string, string>> {
    return this.reader.header.metadata;
  }

  /** Original name -> shape: what architecture resolution takes. */
  get storedShapes(): Map<string, Shape> {
    return new Map([...this.stored].map(([name, tensor]) => [name, tensor.shape]));
  }

  /** Every tensor `config` needs is stored, with its shape, and nothing else is; reported by original names. */
  check(config: VitConfig, modelDescription: string): void {
    checkStoredTensors(this.naming, config, this.stored, this.reader.header.source, modelDescription);
  }

  info(timmName: string): TimmTensor {
    const tensor = this.tensors.get(timmName);
    if (tensor === undefined) throw new Error(`${this.reader.header.source}: no timm tensor ${timmName} in this ${this.layout} checkpoint`);
    return tensor;
  }

  /** Read a timm tensor as float32 into `dest` (exactly its numel floats). */
  readInto(timmName: string, dest: Float32Array): void {
    const parts = this.naming.storedNamesOf(timmName) ?? [];
    if (dest.length !== this.info(timmName).numel) {
      throw new Error(`${this.reader.header.source}: ${timmName}: destination holds ${dest.length} floats, the tensor has ${this.info(timmName).numel}`);
    }
    let offset = 0;
    for (const part of parts) {
      const floats = this.reader.info(part).numel;
      this.reader.readInto(part, dest.subarray(offset, offset + floats));
      offset += floats;
    }
    const bad = this.countNonFinite(dest);
    if (bad > 0) {
      throw new WeightsError(`${this.reader.header.source}: ${timmName} holds ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or infinity) of ${dest.length}: the checkpoint is damaged`);
    }
  }

  read(timmName: string): Float32Array {
    const out = new Float32Array(this.info(timmName).numel);
    this.readInto(timmName, out);
    return out;
  }

  /** The open checkpoint file's status (device, inode, size, times): what identifies the bytes being read. */
  stat(): Stats {
    return this.reader.stat();
  }

  close(): void {
    this.reader.close();
  }
}
