// Reading safetensors tensors as float32, either from a file in memory (zero-copy views) or
// tensor by tensor from disk straight into caller-owned memory (the model arena).

import { closeSync, fstatSync, readSync, type Stats } from 'node:fs';
import { endianness } from 'node:os';
import { openRegularFile, readRegularFile } from '../util/regular-file.js';
import { decodeFloats, isFloatDtype, type FloatDtype } from './dtype.js';
import { SafetensorsError } from './errors.js';
import { parseHeader, readHeaderLength, type SafetensorsHeader, type TensorInfo } from './header.js';

// The format is little-endian; typed-array views are host-endian. Every platform Node ships for
// today is little-endian, so views are safe; refuse loudly rather than return garbage elsewhere.
if (endianness() !== 'LE') throw new Error('safetensors reader: big-endian hosts are not supported');

/** A whole safetensors file held in memory. */
/** The largest file SafetensorsBuffer.read loads whole (references; checkpoints are read by SafetensorsFileReader). */
export const MAX_BUFFERED_FILE_BYTES = 2 ** 30;

export class SafetensorsBuffer {
  private constructor(
    readonly header: SafetensorsHeader,
    private readonly bytes: Uint8Array,
  ) {}

  static parse(bytes: Uint8Array, source = '<buffer>'): SafetensorsBuffer {
    const headerLength = readHeaderLength(bytes, bytes.byteLength, source);
    const header = parseHeader(bytes.subarray(8, 8 + headerLength), bytes.byteLength, source);
    return new SafetensorsBuffer(header, bytes);
  }

  /** Read a whole file (a reference or a test fixture: at most MAX_BUFFERED_FILE_BYTES) into memory. */
  static read(path: string): SafetensorsBuffer {
    return SafetensorsBuffer.parse(readRegularFile(path, MAX_BUFFERED_FILE_BYTES, (problem) => new SafetensorsError(path, problem)), path);
  }

  get names(): string[] {
    return [...this.header.tensors.keys()];
  }

  get metadata(): Readonly<Record<string, string>> {
    return this.header.metadata;
  }

  info(name: string): TensorInfo {
    return tensorInfo(this.header, name);
  }

  /** The tensor as float32: a zero-copy view for aligned F32 data, a converted copy otherwise. */
  float32(name: string): Float32Array {
    const info = this.info(name);
    const dtype = floatDtype(this.header, info);
    const start = this.bytes.byteOffset + this.header.dataStart + info.begin;
    if (dtype === 'F32' && start % 4 === 0) return new Float32Array(this.bytes.buffer, start, info.numel);
    const out = new Float32Array(info.numel);
    decodeFloats(dtype, this.bytes.subarray(start - this.bytes.byteOffset, start - this.bytes.byteOffset + info.end - info.begin), out);
    return out;
  }
}

/** A safetensors file on disk whose tensors are read one at a time, on demand. */
export class SafetensorsFileReader {
  private constructor(
    readonly header: SafetensorsHeader,
    private readonly fd: number,
  ) {}

  /** Open `path` and validate its header; the data is not read yet. */
  static open(path: string): SafetensorsFileReader {
    const { fd, size: fileSize } = openRegularFile(path, (problem) => new SafetensorsError(path, problem));
    try {
      const prefix = new Uint8Array(Math.min(8, fileSize));
      readExactly(fd, prefix, 0, path);
      const headerLength = readHeaderLength(prefix, fileSize, path);
      const headerBytes = new Uint8Array(headerLength);
      readExactly(fd, headerBytes, 8, path);
      return new SafetensorsFileReader(parseHeader(headerBytes, fileSize, path), fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  get names(): string[] {
    return [...this.header.tensors.keys()];
  }

  info(name: string): TensorInfo {
    return tensorInfo(this.header, name);
  }

  /** Read a float tensor into `dest` (exactly numel floats): F32 straight from disk, F16/BF16 converted. */
  readInto(name: string, dest: Float32Array): void {
    const info = this.info(name);
    const dtype = floatDtype(this.header, info);
    if (dest.length !== info.numel) {
      throw new SafetensorsError(this.header.source, `destination holds ${dest.length} floats, the tensor has ${info.numel}`, name);
    }
    const position = this.header.dataStart + info.begin;
    if (dtype === 'F32') {
      readExactly(this.fd, new Uint8Array(dest.buffer, dest.byteOffset, dest.byteLength), position, this.header.source);
      return;
    }
    const raw = new Uint8Array(info.end - info.begin);
    readExactly(this.fd, raw, position, this.header.source);
    decodeFloats(dtype, raw, dest);
  }

  /** Read a float tensor into a new Float32Array. */
  read(name: string): Float32Array {
    const out = new Float32Array(this.info(name).numel);
    this.readInto(name, out);
    return out;
  }

  /** The open file's status (of the file being read, whatever its path names by now). */
  stat(): Stats {
    return fstatSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function tensorInfo(header: SafetensorsHeader, name: string): TensorInfo {
  const info = header.tensors.get(name);
  if (info === undefined) throw new SafetensorsError(header.source, 'no such tensor in the file', name);
  return info;
}

function floatDtype(header: SafetensorsHeader, info: TensorInfo): FloatDtype {
  if (!isFloatDtype(info.dtype)) {
    throw new SafetensorsError(header.source, `dtype ${info.dtype} is not supported (use F32, F16 or BF16)`, info.name);
  }
  return info.dtype;
}

/** pread until `into` is full; the header was validated against the size, so a short read means the file changed. */
function readExactly(fd: number, into: Uint8Array, position: number, source: string): void {
  let done = 0;
  while (done < into.byteLength) {
    // Chunks below 1 GiB: a single huge pread is refused by some kernels.
    const chunk = Math.min(into.byteLength - done, 1 << 30);
    const n = readSync(fd, into, done, chunk, position + done);
    if (n === 0) throw new SafetensorsError(source, `truncated: unexpected end of file at byte ${position + done}`);
    done += n;
  }
}
