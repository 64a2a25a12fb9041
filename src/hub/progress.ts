/**
 * Download progress: the event type handed to `onProgress`, a tracker that turns byte counts into
 * throttled events with a rate and an ETA, and a pure one-line formatter for a TTY.
 *
 * Contract:
 * - `downloaded` counts bytes on disk for this file, including bytes kept from an earlier interrupted
 *   run; `bytesPerSecond` only counts bytes received in this run (resumed bytes are not "speed").
 * - `total` / `etaSeconds` are undefined when the server did not say how large the file is.
 * - Events are throttled (default every 100 ms) but the first and the final event are always sent.
 * - `formatProgress` is pure: same event and width in, same string out; it never exceeds `width`.
 */

export interface DownloadProgress {
  /** File name inside the repository, e.g. model.safetensors. */
  file: string;
  downloaded: number;
  total: number | undefined;
  bytesPerSecond: number;
  etaSeconds: number | undefined;
}

export type ProgressCallback = (event: DownloadProgress) => void;

export interface ProgressTrackerOptions {
  intervalMs?: number;
  now?: () => number;
}

export class ProgressTracker {
  private downloaded = 0;
  private sessionBytes = 0;
  private sessionStart = 0;
  private lastEmit = -Infinity;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly file: string,
    private readonly total: number | undefined,
    private readonly onProgress: ProgressCallback | undefined,
    options: ProgressTrackerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  /** Starts (or restarts, after a resume or a server that ignored Range) counting from `alreadyOnDisk` bytes. */
  start(alreadyOnDisk: number): void {
    this.downloaded = alreadyOnDisk;
    this.sessionBytes = 0;
    this.sessionStart = this.now();
    this.emit(true);
  }

  add(bytes: number): void {
    this.downloaded += bytes;
    this.sessionBytes += bytes;
    this.emit(false);
  }

  finish(): void {
    this.emit(true);
  }

  snapshot(): DownloadProgress {
    const elapsedSeconds = (this.now() - this.sessionStart) / 1000;
    const bytesPerSecond = elapsedSeconds > 0 ? this.sessionBytes / elapsedSeconds : 0;
    const remaining = this.total === undefined ? undefined : Math.max(0, this.total - this.downloaded);
    let etaSeconds: number | undefined;
    if (remaining === 0) etaSeconds = 0;
    else if (remaining !== undefined && bytesPerSecond > 0) etaSeconds = remaining / bytesPerSecond;
    return { file: this.file, downloaded: this.downloaded, total: this.total, bytesPerSecond, etaSeconds };
  }

  private emit(force: boolean): void {
    if (!this.onProgress) return;
    const now = this.now();
    if (!force && now - this.lastEmit < this.intervalMs) return;
    this.lastEmit = now;
    this.onProgress(this.snapshot());
  }
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units, as huggingface_hub's tqdm bars show them: 346.3 MB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

/** 75 -> "1:15", 3725 -> "1:02:05"; unknown -> "--:--". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '--:--';
  const whole = Math.ceil(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  return max <= 1 ? name.slice(-max) : `…${name.slice(-(max - 1))}`;
}

export interface FormatProgressOptions {
  /** Terminal width in columns (process.stdout.columns); default 80. */
  width?: number;
}

/**
 * One line for a TTY, e.g.
 *   model.safetensors [##########----------]  50%  173.2 MB/346.3 MB  12.1 MB/s  ETA 0:14
 * Without a known total the bar, percentage and ETA are dropped.
 */
export function formatProgress(event: DownloadProgress, options: FormatProgressOptions = {}): string {
  const width = Math.max(20, Math.floor(options.width ?? 80));
  const rate = `${formatBytes(event.bytesPerSecond)}/s`;
  const name = fitName(event.file, 24);

  if (event.total === undefined || event.total <= 0) {
    return fitName(`${name}  ${formatBytes(event.downloaded)}  ${rate}`, width);
  }

  const fraction = Math.min(1, Math.max(0, event.downloaded / event.total));
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const tail = `${percent}  ${formatBytes(event.downloaded)}/${formatBytes(event.total)}  ${rate}  ETA ${formatDuration(event.etaSeconds)}`;
  const room = width - name.length - tail.length - 4; // spaces and the two brackets
  if (room < 10) return fitName(`${name} ${tail}`, width);

  const barWidth = Math.min(40, room);
  const filled = Math.round(fraction * barWidth);
  const bar = '#'.repeat(filled) + '-'.repeat(barWidth - filled);
  return `${name} [${bar}] ${tail}`;
}
