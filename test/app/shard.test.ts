// Sharding (app/shard.ts): the N shards of any list partition it, and a path's shard is a fixed
// function of its text, the same on every machine.

import { describe, expect, it } from 'vitest';
import { MAX_SHARDS } from '../../src/app/constants.js';
import { inShard, shardOf } from '../../src/app/shard.js';

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'b', 'Z', '0', '/', '.', '-', ' ', '\u00e9', '\u65e5', '\u{1f600}', '\n'];

describe('shards', () => {
  it('the N shards of random lists partition them: every path in exactly one shard', () => {
    const next = random(15);
    for (let trial = 0; trial < 200; trial++) {
      const count = 1 + Math.floor(next() * (trial % 2 === 0 ? 9 : 200));
      const paths = Array.from({ length: Math.floor(next() * 60) }, () =>
        Array.from({ length: Math.floor(next() * 20) }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join(''),
      );
      const items = paths.map((path) => ({ path }));
      const shards = Array.from({ length: count }, (_, index) => items.filter(inShard({ index, count })));
      // Each item is kept by exactly one shard (duplicates in the list stay duplicates, in one shard).
      for (const item of items) expect(shards.filter((s) => s.includes(item)).length, `${JSON.stringify(item.path)} in ${count} shards`).toBe(1);
      expect(shards.reduce((n, s) => n + s.length, 0)).toBe(items.length);
    }
  });

  it('a path goes to a fixed shard: the first 8 bytes of SHA-256 of its UTF-8, big-endian, mod N', () => {
    // Computed independently with coreutils and Python, not with this code:
    //   h=$(printf '%s' "$p" | sha256sum | cut -c1-16); python3 -c "print(int('$h',16) % $n)"
    const table: [string, number[]][] = [
      // path, shard for N = 2, 8, 1000, 1000000
      ['cat.jpg', [0, 4, 764, 411764]],
      ['photos/a.jpg', [1, 7, 151, 121151]],
      ['test/fixtures/images/coffee.png', [1, 1, 57, 798057]],
      ['caf\u00e9/\u65e5\u672c.jpg', [0, 0, 192, 290192]],
    ];
    for (const [path, expected] of table) expect([2, 8, 1000, 1_000_000].map((n) => shardOf(path, n)), path).toEqual(expected);
    expect(shardOf('anything', 1)).toBe(0);
  });

  it('refuses shard numbers out of range', () => {
    expect(() => shardOf('a', 0)).toThrow(RangeError);
    expect(() => shardOf('a', MAX_SHARDS + 1)).toThrow(RangeError);
    expect(() => shardOf('a', 1.5)).toThrow(RangeError);
    expect(() => inShard({ index: 3, count: 3 })).toThrow(RangeError);
    expect(() => inShard({ index: -1, count: 3 })).toThrow(RangeError);
  });
});
