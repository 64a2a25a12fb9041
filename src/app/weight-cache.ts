// The packed-weight cache: a model's weight bytes as the backend packed them, kept in a file so
// that the next process restores them with one read instead of reading, checking and packing the
// checkpoint tensor by tensor.
//
// What it saves, measured (README "Speed"): the staging copies, the non-finite check and the
// packing. What it cannot save: the first write into the process's fresh memory (page faults),
// which a read pays just as a pack does.
//
// Contract:
// - One file per (checkpoint file, packed format, variant: the tensors as stored, or transformed at
//   load, e.g. int8's LayerNorms folded into the next Linear): <dir>/<sha256 of the three>.vitw,
//   so a checkpoint's stale entry is replaced, not added to; at most MAX_FILES files in the folder
//   (the least recently used are removed when a new one is written).
// - The key a file must match to be used: the format version, the backend's packed format (kernel
//   tile, precision), the model's architecture, the variant, and the checkpoint's identity: its real path,
//   device, inode, size, modification and change times (of the open file), a hash of its header
//   (tensor names, dtypes, shapes, metadata), and the content's sha256 when the hub cache names
//   the file by it (blobs/<sha256>, checked at download). The data itself is not hashed (350 MB
//   of sha256 costs about what the cache saves), so a file rewritten in place with the same size
//   and both times kept (which takes root resetting the clock, or writing the disk beneath the
//   file system) would be served stale: still weights that were checked, but the old ones.
// - Only a load from the checkpoint writes a file, after every tensor was read and checked (no
//   NaN or infinity: CheckpointSource.readInto refuses them), so a restored pack is one of a
//   checked source. The region is checksummed (CRC-32); a file whose key, size or checksum does not
//   match is ignored and rewritten.
// - Writes go to a temporary file in the folder, renamed over the entry when complete: readers
//   and concurrent writers see a whole file or none. A failed write (read-only folder, full disk)
//   never fails the load: it is reported in the load's note (shown by --verbose) and the
//   temporary file is removed. No fsync: a file torn by a crash fails its checksum.
// - Checkpoints under MIN_BYTES are not cached: they load in milliseconds anyway.

import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, realpathSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Backend } from '../backend/types.js';
import type { CheckpointSource } from '../checkpoint/index.js';
import type { VitConfig } from '../vit/config.js';
import { crypto, zlib } from '../util/builtins.js';
import { VitModel, type PackedWeights } from '../vit/model.js';
import type { PlaceOptions, TensorSource } from '../vit/weights.js';

/** Bump when the file layout or the key changes: older files are then ignored and replaced. */
const FORMAT_VERSION = 2;
const MAGIC = 'VITWCACH';
/** magic (8), version (u32), header length (u32). */
const PREFIX_BYTES = 16;
const MAX_HEADER_BYTES = 1 << 20;
const EXTENSION = '.vitw';
/** Checkpoints smaller than this are not cached (ViT-Ti/16 is 22 MB; ViT-S/16 88 MB). */
export const MIN_BYTES = 32 * 2 ** 20;
/** Cache files kept at most (one per checkpoint and packed format). */
export const MAX_FILES = 4;
/** A temporary file older than this was left by a killed writer. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** pread/pwrite chunks below 1 GiB: a single huge call is refused by some kernels. */
const IO_CHUNK = 1 << 30;

export interface WeightCacheSettings {
  /** Folder of the cache files (default: weightCacheDir()). */
  dir?: string;
  /** Smallest checkpoint cached, in bytes (default MIN_BYTES). */
  minBytes?: number;
}

type Env = Record<string, string | undefined>;

/** $VIT_WEIGHT_CACHE_DIR, else $XDG_CACHE_HOME/vit/weights, else ~/.cache/vit/weights. */
export function weightCacheDir(env: Env = process.env): string {
  const explicit = env.VIT_WEIGHT_CACHE_DIR;
  if (explicit !== undefined && explicit !== '') return explicit;
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir(), '.cache');
  return join(base, 'vit', 'weights');
}

const OFF = new Set(['0', 'false', 'off', 'no']);
const ON = new Set(['1', 'true', 'on', 'yes']);

/**
 * The command line's setting: --weight-cache / --no-weight-cache when given, else VIT_WEIGHT_CACHE
 * (1 on, 0 off), else off: on the machines measured so far, restoring the file took longer than
 * loading the checkpoint (README, Speed). On means weightCacheDir().
 */
export function weightCacheSettings(flag: boolean | undefined, env: Env = process.env): WeightCacheSettings | false {
  const value = env.VIT_WEIGHT_CACHE;
  let on = false;
  if (value !== undefined && value !== '') {
    const word = value.trim().toLowerCase();
    if (!ON.has(word) && !OFF.has(word)) throw new WeightCacheSettingError(`VIT_WEIGHT_CACHE must be 0 or 1 (off or on), received '${value}'`);
    on = ON.has(word);
  }
  if (flag !== undefined) on = flag;
  return on ? { dir: weightCacheDir(env) } : false;
}

/** A VIT_WEIGHT_CACHE value that means neither on nor off (a usage error). */
export class WeightCacheSettingError extends Error {
  override name = 'WeightCacheSettingError';
}

/** A model created through the cache, and what the cache did (for --verbose). */
export interface CachedLoad {
  vit: VitModel;
  /** e.g. "restored from <file>", "written to <file>", "not written: <reason>", "off". */
  note: string;
}

/**
 * VitModel.create through the cache: the weights restored from the cache file when it matches,
 * else read from `source` and then written to the cache file (best effort).
 */
export function createThroughCache(
  config: VitConfig,
  backend: Backend,
  source: CheckpointSource,
  maxBatch: number,
  settings: WeightCacheSettings | false | undefined,
  /** Where the weights are read from when the cache has none: the source itself, or a wrapper of it (progress, resampling). */
  tensors: TensorSource = source,
  /** How the weights are placed: with the LayerNorms folded into the next Linear (int8), or as stored. */
  place: PlaceOptions = {},
): CachedLoad {
  // Part of the key: each variant of a checkpoint has its own file.
  const variant = place.foldNorms === true ? 'LayerNorms folded into the next Linear' : 'as stored';
  const entry = settings === undefined || settings === false ? undefined : cacheEntry(config, backend, source, settings, variant);
  if (typeof entry === 'string' || entry === undefined) return { vit: VitModel.create(config, backend, tensors, maxBatch, undefined, place), note: entry ?? 'off' };
  const restore = entry.restorer();
  const vit = VitModel.create(config, backend, tensors, maxBatch, restore, place);
  if (vit.restored) return { vit, note: `restored from ${entry.file}` };
  const why = restore.problem === undefined || restore.problem === '' ? '' : ` (previous: ${restore.problem})`;
  return { vit, note: `${entry.write(vit.weightBytes)}${why}` };
}

/** The cache file for this load, or why there is none. */
function cacheEntry(config: VitConfig, backend: Backend, source: CheckpointSource, settings: WeightCacheSettings, variant: string): CacheEntry | string {
  const format = backend.packedFormat;
  if (format === undefined) return `off (the ${backend.name} backend keeps no packed weights)`;
  const stat = source.stat();
  if (stat.size < (settings.minBytes ?? MIN_BYTES)) return 'off (small checkpoint)';
  let realPath: string;
  try {
    realPath = realpathSync(source.path);
  } catch {
    return 'off (the checkpoint has no real path)';
  }
  const name = basename(realPath);
  const key = {
    version: FORMAT_VERSION,
    packedFormat: format,
    config,
    tensors: variant,
    checkpoint: {
      path: realPath,
      dev: stat.dev,
      ino: stat.ino,
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      ctimeMs: stat.ctimeMs,
      header: sha256(JSON.stringify({ tensors: [...source.stored].map(([n, t]) => [n, t.dtype, t.shape]), metadata: source.metadata })),
      // The hub cache names an LFS file by its sha256 (blobs/<sha256>), verified when downloaded.
      sha256: basename(dirname(realPath)) === 'blobs' && /^[0-9a-f]{64}$/.test(name) ? name : null,
    },
  };
  const dir = settings.dir ?? weightCacheDir();
  return new CacheEntry(join(dir, `${sha256(`${realPath}\0${format}\0${variant}`).slice(0, 32)}${EXTENSION}`), JSON.stringify(key));
}

/** A Restorer that also says why it declined. */
interface Restorer extends PackedWeights {
  problem?: string;
}

class CacheEntry {
  constructor(
    readonly file: string,
    /** The key, as JSON (compared as text: it is always written by the same code). */
    private readonly key: string,
  ) {}

  /** Reads the file into the weight region if it is this load's, whole and unchanged. */
  restorer(): Restorer {
    const restorer: Restorer = {
      readInto: (region, fill) => {
        try {
          const problem = this.readInto(region, fill);
          restorer.problem = problem;
          return problem === undefined;
        } catch (e) {
          restorer.problem = errorText(e);
          return false;
        }
      },
    };
    return restorer;
  }

  /** undefined when `region` now holds the cached bytes, else what was wrong (absent, stale, damaged). */
  private readInto(region: Uint8Array, fill: (read: (chunk: Uint8Array) => void) => void): string | undefined {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (e) {
      // No file yet is no problem to report.
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? '' : errorText(e);
    }
    try {
      const size = fstatSync(fd).size;
      const prefix = Buffer.alloc(PREFIX_BYTES);
      if (size < PREFIX_BYTES || readSync(fd, prefix, 0, PREFIX_BYTES, 0) !== PREFIX_BYTES) return 'truncated cache file';
      if (prefix.toString('latin1', 0, 8) !== MAGIC || prefix.readUInt32LE(8) !== FORMAT_VERSION) return 'cache file of another format';
      const headerLength = prefix.readUInt32LE(12);
      if (headerLength > MAX_HEADER_BYTES || PREFIX_BYTES + headerLength > size) return 'damaged cache file (header length)';
      const headerBytes = Buffer.alloc(headerLength);
      readFully(fd, headerBytes, PREFIX_BYTES);
      const header = parseHeader(headerBytes);
      if (header === undefined) return 'damaged cache file (header)';
      if (header.key !== this.key) return 'stale cache file (another checkpoint, model or backend)';
      if (header.bytes !== region.byteLength || size !== PREFIX_BYTES + headerLength + region.byteLength) return 'damaged cache file (size)';
      if (readChecksummed(fd, fill, PREFIX_BYTES + headerLength) !== header.crc32) return 'damaged cache file (checksum)';
    } finally {
      closeSync(fd);
    }
    // Mark it recently used, for the eviction of the least recently used (a read-only folder is fine).
    try {
      const now = new Date();
      utimesSync(this.file, now, now);
    } catch {
      // best effort
    }
    return undefined;
  }

  /** Write `region` as this entry (atomically), then bound the folder; says what happened. */
  write(region: Uint8Array): string {
    const dir = dirname(this.file);
    const temp = `${this.file}.${process.pid}.${crypto().randomBytes(4).toString('hex')}.tmp`;
    let fd: number | undefined;
    try {
      mkdirSync(dir, { recursive: true });
      const header = Buffer.from(JSON.stringify({ key: this.key, bytes: region.byteLength, crc32: zlib().crc32(region) }), 'utf8');
      const prefix = Buffer.alloc(PREFIX_BYTES);
      prefix.write(MAGIC, 0, 'latin1');
      prefix.writeUInt32LE(FORMAT_VERSION, 8);
      prefix.writeUInt32LE(header.byteLength, 12);
      fd = openSync(temp, 'wx', 0o644);
      writeFully(fd, prefix);
      writeFully(fd, header);
      writeFully(fd, region);
      closeSync(fd);
      fd = undefined;
      renameSync(temp, this.file);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      removeQuietly(temp);
      return `not written to ${this.file}: ${errorText(e)}`;
    }
    evict(dir, this.file);
    return `written to ${this.file}`;
  }
}

/** Keep at most MAX_FILES cache files (the least recently used go) and no stale temporary files. */
function evict(dir: string, keep: string): void {
  try {
    const now = Date.now();
    const entries: { path: string; mtime: number }[] = [];
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name.endsWith('.tmp') && name.includes(EXTENSION)) {
        if (now - statSync(path).mtimeMs > STALE_TEMP_MS) removeQuietly(path);
      } else if (name.endsWith(EXTENSION) && path !== keep) {
        entries.push({ path, mtime: statSync(path).mtimeMs });
      }
    }
    entries.sort((a, b) => b.mtime - a.mtime);
    for (const old of entries.slice(MAX_FILES - 1)) removeQuietly(old.path);
  } catch {
    // A folder that cannot be listed is not ours to clean.
  }
}

function parseHeader(bytes: Buffer): { key: string; bytes: number; crc32: number } | undefined {
  try {
    const header = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    const { key, bytes: size, crc32: sum } = header;
    if (typeof key !== 'string' || !Number.isSafeInteger(size) || !Number.isSafeInteger(sum)) return undefined;
    return { key, bytes: size as number, crc32: sum as number };
  } catch {
    return undefined;
  }
}

function readFully(fd: number, into: Uint8Array, position: number): void {
  for (let done = 0; done < into.byteLength; ) {
    const n = readSync(fd, into, done, Math.min(into.byteLength - done, IO_CHUNK), position + done);
    if (n === 0) throw new Error('truncated cache file');
    done += n;
  }
}

/**
 * Read the region's bytes, which start at `position`, through `fill` (the backend's fillBytes),
 * and return their CRC-32. Each chunk is read into the backend's staging memory and checksummed
 * there while the backend's threads copy the previous one into place. Not straight into the
 * region: it is fresh memory, and on the VM this was measured on, the kernel filling fresh pages
 * and then the first access to them from user space cost 3.4 s of CPU for ViT-B, against 2.2 s
 * for reads into a warm buffer copied in by user space; the copies on every thread split those
 * first touches (page faults) between them (README "Speed").
 */
function readChecksummed(fd: number, fill: (read: (chunk: Uint8Array) => void) => void, position: number): number {
  let sum = 0;
  let done = 0;
  fill((chunk) => {
    readFully(fd, chunk, position + done);
    sum = zlib().crc32(chunk, sum);
    done += chunk.byteLength;
  });
  return sum;
}

function writeFully(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, Math.min(bytes.byteLength - done, IO_CHUNK));
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or not ours to remove
  }
}

function sha256(text: string): string {
  return crypto().createHash('sha256').update(text).digest('hex');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
