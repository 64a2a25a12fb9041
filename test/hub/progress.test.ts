import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatProgress,
  ProgressTracker,
  type DownloadProgress,
} from '../../src/hub/progress.js';

const MB = 1_000_000;

function event(partial: Partial<DownloadProgress>): DownloadProgress {
  return { file: 'model.safetensors', downloaded: 0, total: 100 * MB, bytesPerSecond: 0, etaSeconds: undefined, ...partial };
}

describe('formatBytes / formatDuration', () => {
  it('uses decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(346_300_000)).toBe('346 MB');
    expect(formatBytes(12_340_000)).toBe('12.3 MB');
    expect(formatBytes(NaN)).toBe('?');
  });

  it('prints m:ss or h:mm:ss, and --:-- when unknown', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(undefined)).toBe('--:--');
    expect(formatDuration(Infinity)).toBe('--:--');
  });
});

describe('formatProgress', () => {
  it('renders name, bar, percentage, bytes, rate and ETA on one line', () => {
    const line = formatProgress(event({ downloaded: 50 * MB, bytesPerSecond: 10 * MB, etaSeconds: 5 }), { width: 120 });
    expect(line).toMatch(/^model\.safetensors \[[#-]+\]  50%  50\.0 MB\/100 MB  10\.0 MB\/s  ETA 0:05$/);
    const bar = line.match(/\[([#-]+)\]/)?.[1] ?? '';
    expect(bar.length).toBe(40);
    expect(bar.split('').filter((c) => c === '#').length).toBe(20);
    expect(line).not.toContain('\n');
  });

  it.each([30, 40, 60, 80, 120])('never exceeds the terminal width (%i)', (width) => {
    const line = formatProgress(event({ file: 'a-very-long-file-name-that-goes-on.safetensors', downloaded: 3 * MB }), { width });
    expect(line.length).toBeLessThanOrEqual(width);
  });

  it('drops the bar and ETA when the total is unknown', () => {
    const line = formatProgress(event({ total: undefined, downloaded: 2 * MB, bytesPerSecond: MB }));
    expect(line).toBe('model.safetensors  2.0 MB  1.0 MB/s');
  });

  it('shows a full bar and 100% when done', () => {
    const line = formatProgress(event({ downloaded: 100 * MB, etaSeconds: 0 }), { width: 80 });
    expect(line).toContain('100%');
    expect(line).not.toMatch(/\[[#]*-/);
  });
});

describe('ProgressTracker', () => {
  it('computes rate from this session only and ETA from the remaining bytes', () => {
    let now = 0;
    const events: DownloadProgress[] = [];
    const tracker = new ProgressTracker('f', 1000, (e) => events.push(e), { intervalMs: 0, now: () => now });
    tracker.start(200); // 200 bytes kept from an earlier run
    now = 1000;
    tracker.add(300);
    expect(events.at(-1)).toEqual({ file: 'f', downloaded: 500, total: 1000, bytesPerSecond: 300, etaSeconds: 500 / 300 });
  });

  it('throttles intermediate events but always sends the first and the last', () => {
    let now = 0;
    const events: DownloadProgress[] = [];
    const tracker = new ProgressTracker('f', 100, (e) => events.push(e), { intervalMs: 100, now: () => now });
    tracker.start(0);
    for (let i = 0; i < 10; i++) {
      now += 1;
      tracker.add(10);
    }
    tracker.finish();
    expect(events.map((e) => e.downloaded)).toEqual([0, 100]);
    expect(events.at(-1)?.etaSeconds).toBe(0);
  });
});
