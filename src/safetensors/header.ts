// Parsing and validating a safetensors header, following the format's specification
// (huggingface/safetensors): 8 bytes little-endian u64 N, N bytes of UTF-8 JSON, then the data.
// The JSON maps tensor names to {dtype, shape, data_offsets} and may hold "__metadata__", a
// string-to-string map. Offsets are relative to the data section and must tile it exactly.

import { DTYPE_BYTES } from './dtype.js';
import { SafetensorsError } from './errors.js';
import { findDuplicateKey } from './json-keys.js';

/** Larger headers are refused, as the reference implementation does (it guards against memory bombs). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
const TENSOR_FIELDS = ['data_offsets', 'dtype', 'shape'];

export interface TensorInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly numel: number;
  /** Byte range within the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly source: string;
  /** Tensors in file order (by offset). */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Absolute file position of the data section. */
  readonly dataStart: number;
  readonly fileSize: number;
}

/**
 * Validate the 8-byte length prefix against the file size and return the header's byte length.
 * `prefix` holds at least the first 8 bytes of the file (fewer means the file is truncated).
 */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    throw new SafetensorsError(source, `truncated: the file has ${fileSize} bytes, fewer than the 8-byte header length`);
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  // Only a length that cannot be a header's is another format: a valid header of 640 bytes starts
  // 0x80 0x02, as a pickle does.
  const other = length > BigInt(MAX_HEADER_BYTES) || 8n + length > BigInt(fileSize) ? otherFormat(prefix, source) : undefined;
  if (other !== undefined) throw new SafetensorsError(source, other);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(source, `header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (8n + length > BigInt(fileSize)) {
    throw new SafetensorsError(source, `header length ${length} runs past the end of the file (${fileSize} bytes)`);
  }
  return Number(length);
}

function convertPickle(source: string): string {
  const name = source.slice(source.lastIndexOf('/') + 1).replace(/'/g, "\\'");
  return `convert it once with Python: python3 -c "import torch, safetensors.torch as st; st.save_file(torch.load('${name}', map_location='cpu', weights_only=True), 'model.safetensors')" (or download the repository's model.safetensors)`;
}

/**
 * What a file that is not safetensors recognisably is, from its first 8 bytes, so the message
 * says so instead of reporting an absurd header length. Pickles are never opened: they can run code.
 */
function otherFormat(prefix: Uint8Array, source: string): string | undefined {
  const ascii = String.fromCharCode(...prefix.subarray(0, 4));
  if (ascii === 'PK\x03\x04') return `a PyTorch checkpoint (torch.save's zip archive of pickles), not safetensors; vit never unpickles files, as a pickle can run code: ${convertPickle(source)}`;
  // Pickle protocol 2-5 starts with PROTO (0x80) and the version; torch.save before 1.6 wrote this.
  if (prefix[0] === 0x80 && prefix[1] >= 2 && prefix[1] <= 5) return `a Python pickle (an old-style PyTorch .pth/.bin), not safetensors; vit never unpickles files, as a pickle can run code: ${convertPickle(source)}`;
  if (ascii === '\x89HDF') return 'an HDF5 file (Keras/TensorFlow weights), not safetensors';
  if (ascii === 'GGUF') return 'a GGUF file (llama.cpp), not safetensors';
  return undefined;
}

/** Parse and validate the JSON header bytes (the N bytes after the length prefix). */
export function parseHeader(headerBytes: Uint8Array, fileSize: number, source: string): SafetensorsHeader {
  const json = decodeUtf8(headerBytes, source);
  const root = parseJsonObject(json, source);
  const dataStart = 8 + headerBytes.byteLength;
  const dataSize = fileSize - dataStart;

  const metadata = parseMetadata(root[METADATA_KEY], source);
  const infos: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(root)) {
    if (name === METADATA_KEY) continue;
    infos.push(parseTensorEntry(name, entry, source));
  }
  checkTiling(infos, dataSize, source);
  return { source, tensors: new Map(infos.map((t) => [t.name, t])), metadata, dataStart, fileSize };
}

function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SafetensorsError(source, 'header is not valid UTF-8');
  }
}

function parseJsonObject(json: string, source: string): Record<string, unknown> {
  if (!json.startsWith('{')) {
    throw new SafetensorsError(source, `header must be a JSON object starting with '{', found ${JSON.stringify(json.slice(0, 16))}`);
  }
  let root: unknown;
  try {
    root = JSON.parse(json);
  } catch (e) {
    throw new SafetensorsError(source, `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new SafetensorsError(source, 'header must be a JSON object');
  }
  const duplicate = findDuplicateKey(json);
  if (duplicate !== null) throw new SafetensorsError(source, `duplicate key in header`, duplicate);
  return root as Record<string, unknown>;
}

function parseMetadata(value: unknown, source: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SafetensorsError(source, `${METADATA_KEY} must be an object of strings`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(source, `${METADATA_KEY} value for '${key}' must be a string, found ${describe(v)}`);
    }
  }
  return value as Record<string, string>;
}

function parseTensorEntry(name: string, entry: unknown, source: string): TensorInfo {
  const fail = (rule: string): never => {
    throw new SafetensorsError(source, rule, name);
  };
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('entry must be an object');
  const fields = entry as Record<string, unknown>;
  const keys = Object.keys(fields).sort();
  if (keys.join() !== TENSOR_FIELDS.join()) {
    fail(`entry must have exactly the fields dtype, shape, data_offsets; found ${keys.join(', ') || 'none'}`);
  }
  const { dtype, shape, data_offsets: offsets } = fields;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`unknown dtype ${describe(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    fail(`shape must be an array of non-negative integers, found ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    fail(`data_offsets must be [begin, end] with non-negative integers, found ${describe(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  if (end < begin) fail(`data_offsets [${begin}, ${end}] end before they begin`);

  // BigInt so a shape like [2^40, 2^40] cannot overflow into a plausible size.
  const numel = (shape as number[]).reduce((n, d) => n * BigInt(d), 1n);
  const expectedBytes = numel * BigInt(DTYPE_BYTES[dtype as string]);
  if (expectedBytes !== BigInt(end - begin)) {
    fail(`size mismatch: shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${expectedBytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype: dtype as string, shape: shape as number[], numel: Number(numel), begin, end };
}

/** Tensors must cover the data section exactly: contiguous from 0, no gaps, no overlaps, to the end. */
function checkTiling(infos: TensorInfo[], dataSize: number, source: string): void {
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of infos) {
    if (t.begin < cursor) {
      throw new SafetensorsError(source, `data_offsets [${t.begin}, ${t.end}] overlap the previous tensor, which ends at ${cursor}`, t.name);
    }
    if (t.begin > cursor) {
      throw new SafetensorsError(source, `data_offsets [${t.begin}, ${t.end}] leave a hole: the previous tensor ends at ${cursor}`, t.name);
    }
    cursor = t.end;
  }
  if (cursor !== dataSize) {
    throw new SafetensorsError(
      source,
      cursor < dataSize
        ? `the data section has ${dataSize} bytes but the tensors cover only ${cursor} (trailing bytes)`
        : `truncated: the tensors need ${cursor} bytes of data but the file holds ${dataSize}`,
    );
  }
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function describe(v: unknown): string {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
