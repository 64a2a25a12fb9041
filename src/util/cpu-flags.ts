// The CPU's feature flags as Linux names them (avx2, avx_vnni, asimddp, ...), for choices the
// kernels cannot make themselves (src/backend/wasm/int8-dot.ts). Elsewhere they are unknown.

import { closeSync, openSync, readSync } from 'node:fs';

/** Bytes of /proc/cpuinfo read at most: the first processor's entry is well within them. */
const CPUINFO_READ_BYTES = 64 * 1024;

/** The flags of the first "flags" line of `path` (x86 names them so), or undefined. */
export function linuxCpuFlags(path = '/proc/cpuinfo'): Set<string> | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(CPUINFO_READ_BYTES);
    let length = 0;
    for (let n; length < buffer.length && (n = readSync(fd, buffer, length, buffer.length - length, null)) > 0; ) length += n;
    const line = /^flags\s*:(.*)$/m.exec(buffer.toString('latin1', 0, length));
    return line === null ? undefined : new Set(line[1]!.trim().split(/\s+/));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

let cached: { flags: Set<string> | undefined } | undefined;

/** This machine's flags (read once), or undefined off Linux or when /proc/cpuinfo has none. */
export function thisCpuFlags(): ReadonlySet<string> | undefined {
  cached ??= { flags: process.platform === 'linux' ? linuxCpuFlags() : undefined };
  return cached.flags;
}
