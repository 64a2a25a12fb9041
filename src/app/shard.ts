// Splitting the inputs between N machines without a coordinator: input `path` belongs to shard
//   BigInt(first 8 bytes of SHA-256(UTF-8 of path), big-endian) mod N
// where path is the input's path as the records' `file` field shows it (after directory
// expansion, one path per file). The same on every machine and Node version (SHA-256 and UTF-8
// are fixed), so the N runs `--shard 0/N` ... `--shard N-1/N` over the same list together see
// every input exactly once; error items (a missing file) belong to a shard like any other.

import { crypto } from '../util/builtins.js';
import { MAX_SHARDS } from './constants.js';
import type { InputItem } from './inputs.js';

/** Shard `index` of `count` (0 <= index < count <= MAX_SHARDS). */
export interface Shard {
  index: number;
  count: number;
}

/** The shard (0 .. count-1) that `path` belongs to when the inputs are split `count` ways. */
export function shardOf(path: string, count: number): number {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SHARDS) throw new RangeError(`shardOf: shard count ${count}: expected an integer from 1 to ${MAX_SHARDS}`);
  const digest = crypto().createHash('sha256').update(path, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(count));
}

/** A predicate keeping the inputs of `shard`. */
export function inShard(shard: Shard): (item: InputItem) => boolean {
  const { index, count } = shard;
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) throw new RangeError(`inShard: shard ${index}/${count}: expected 0 <= index < count`);
  shardOf('', count); // checks count
  return (item) => shardOf(item.path, count) === index;
}
