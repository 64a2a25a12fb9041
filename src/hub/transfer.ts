/**
 * Moves the bytes of one blob from the network to `blobs/<etag>`, safely.
 *
 * Contract:
 * - Bytes are written to `<blob>.incomplete` only; the final path appears by an atomic rename after
 *   the size and (for LFS files, whose etag is a sha256) the sha256 were checked. A corrupt or partial
 *   file is never left at the final path.
 * - Interrupted transfers (connection reset, stall timeout, server closing early) are resumed with
 *   `Range: bytes=N-`, in this call (retries) and across calls (the `.incomplete` is kept for that).
 *   Every retry, whatever its cause and whether or not it made progress, is paid from the file's one
 *   RetryBudget (see http.ts), so a download cannot loop.
 * - A server that ignores Range (200 instead of 206) restarts the file from byte 0; a 416 or a
 *   Content-Range that does not start where we asked discards the partial file and starts over, once:
 *   the second time is an error (SIZE_MISMATCH if the server's size differs from the announced one).
 * - A response whose own size (Content-Length of a 200, the total of a 206's Content-Range) differs
 *   from the announced size is SIZE_MISMATCH before any byte is written.
 * - Checksum mismatch: the `.incomplete` is deleted (its bytes are wrong somewhere, resuming on them
 *   cannot help). If the failed file had been resumed, one full fresh download is tried, because the
 *   bad bytes may have come from the earlier run; otherwise HubError('CHECKSUM').
 * - Bounded: a body is cut as soon as it passes the announced size (or, with none, the file's
 *   `maxBytes`): the `.incomplete` is deleted and HubError('SIZE_MISMATCH') thrown; an announced size
 *   beyond `maxBytes` is HubError('BAD_RESPONSE') before any request.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { crypto } from '../util/builtins.js';
import { HubError } from './errors.js';
import { discardBody, openDownload, statusError, transportError, type HttpClient, type OpenResponse, type RetryBudget } from './http.js';
import { ProgressTracker, type ProgressCallback } from './progress.js';

export interface BlobDownload {
  /** Repository file name, for progress events and messages. */
  file: string;
  /** Where the bytes are (CDN location from the HEAD, or the resolve URL). */
  url: string;
  incompletePath: string;
  blobPath: string;
  expectedSize: number | undefined;
  /** The most bytes accepted for this file (repo-files.ts sizeLimitFor); the body is cut there when no size was announced. */
  maxBytes: number;
  /** sha256 hex to verify against; undefined for non-LFS files (git sha1 etags cannot be checked this way). */
  expectedSha256: string | undefined;
  onProgress?: ProgressCallback;
  /** Minimum interval between progress events (ms). */
  progressIntervalMs?: number;
}

async function sizeOnDisk(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return 0;
  }
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = crypto().createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// `bytes 100-199/5000` -> start 100, total 5000; `bytes */5000` (a 416) -> total 5000; a `*` total is unknown.
function parseContentRange(header: string | null): { start?: number; total?: number } {
  const match = header?.match(/^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/);
  if (!match) return {};
  return {
    start: match[1] === undefined ? undefined : Number(match[1]),
    total: match[2] === '*' ? undefined : Number(match[2]),
  };
}

/** The size of the whole file according to a response, when it says (a compressed body's length says nothing). */
function sizeAnnouncedBy(response: Response): number | undefined {
  if (response.status === 206) return parseContentRange(response.headers.get('content-range')).total;
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return undefined;
  const length = response.headers.get('content-length');
  return length !== null && /^\d+$/.test(length.trim()) ? Number(length.trim()) : undefined;
}

function sizeMismatch(job: BlobDownload, url: string, actual: number): HubError {
  return new HubError(
    'SIZE_MISMATCH',
    `The server has ${actual} bytes for ${job.file}, but the hub announced ${job.expectedSize}. Nothing was kept.`,
    { url },
  );
}

type Received = { kind: 'complete' } | { kind: 'restart'; status: number; serverSize?: number };

/** Writes one response body into the `.incomplete` file. Returns 'restart' when the partial file had to be dropped. */
async function receiveBody(job: BlobDownload, opened: OpenResponse, offset: number, tracker: ProgressTracker): Promise<Received> {
  const { response, stallTimer, signal } = opened;
  try {
    const restart = async (serverSize?: number): Promise<Received> => {
      await discardBody(response);
      await fs.rm(job.incompletePath, { force: true });
      return { kind: 'restart', status: response.status, serverSize };
    };
    let writeFrom: number;
    if (response.status === 416) {
      // Our partial file is at least as long as the server's copy: it is not a prefix we can extend.
      return await restart(parseContentRange(response.headers.get('content-range')).total);
    }
    if (response.status !== 200 && response.status !== 206) {
      await discardBody(response);
      const error = statusError(response, opened.url);
      // sendWithRetries already retried 5xx: do not multiply attempts at this level.
      throw new HubError(error.code, error.message, { url: error.url, status: error.status, notFound: error.notFound });
    }
    const serverSize = sizeAnnouncedBy(response);
    if (job.expectedSize !== undefined && serverSize !== undefined && serverSize !== job.expectedSize) {
      await discardBody(response);
      await fs.rm(job.incompletePath, { force: true }); // which size is right is unknown: keep nothing
      throw sizeMismatch(job, opened.url, serverSize);
    }
    if (response.status === 206 && offset > 0) {
      const start = parseContentRange(response.headers.get('content-range')).start;
      if (start !== undefined && start !== offset) return await restart();
      writeFrom = offset;
    } else {
      // 200 after a Range request: the server ignored it and sends everything, so start the file over.
      writeFrom = 0;
      if (offset > 0) tracker.start(0);
    }

    const limit = job.expectedSize ?? job.maxBytes;
    const handle = await fs.open(job.incompletePath, writeFrom === 0 ? 'w' : 'a');
    let written = writeFrom;
    let overflow = false;
    // A failed write is local (disk full), not the network's: kept apart from the stream's errors.
    let writeFailure: { error: unknown } | undefined;
    try {
      if (response.body) {
        for await (const chunk of response.body) {
          stallTimer.kick();
          if (written + chunk.length > limit) {
            overflow = true; // leaving the loop cancels the body
            break;
          }
          try {
            await handle.write(chunk);
          } catch (error) {
            writeFailure = { error };
            break;
          }
          written += chunk.length;
          tracker.add(chunk.length);
        }
      }
    } catch (error) {
      throw transportError(error, opened.url, signal, opened.timeout);
    } finally {
      await handle.close();
    }
    if (writeFailure) throw writeFailure.error;
    if (overflow) {
      await fs.rm(job.incompletePath, { force: true });
      const bound =
        job.expectedSize !== undefined
          ? `the ${job.expectedSize} bytes the hub announced`
          : `${job.maxBytes} bytes, the most accepted for such a file when the hub announces no size`;
      throw new HubError('SIZE_MISMATCH', `The server sent more than ${bound} for ${job.file}. Nothing was kept.`, { url: opened.url });
    }
    if (job.expectedSize !== undefined && written < job.expectedSize) {
      throw new HubError('NETWORK', `Connection closed after ${written} of ${job.expectedSize} bytes.`, {
        url: opened.url,
        retryable: true,
      });
    }
    return { kind: 'complete' };
  } finally {
    stallTimer.stop();
  }
}

/** The second time a server refuses to resume: say what it claims, instead of trying forever. */
function refusedResumeError(job: BlobDownload, received: Extract<Received, { kind: 'restart' }>): HubError {
  if (received.serverSize !== undefined && job.expectedSize !== undefined && received.serverSize !== job.expectedSize) {
    return sizeMismatch(job, job.url, received.serverSize);
  }
  return new HubError('HTTP', `The server refused to resume ${job.file} twice (HTTP ${received.status}), even from byte 0.`, {
    url: job.url,
    status: received.status,
  });
}

export async function downloadBlob(client: HttpClient, budget: RetryBudget, job: BlobDownload): Promise<void> {
  if (job.expectedSize !== undefined && job.expectedSize > job.maxBytes) {
    throw new HubError(
      'BAD_RESPONSE',
      `The hub announced ${job.expectedSize} bytes for ${job.file}, more than the ${job.maxBytes} accepted for such a file.`,
      { url: job.url },
    );
  }
  const tracker = new ProgressTracker(job.file, job.expectedSize, job.onProgress, { intervalMs: job.progressIntervalMs });
  let resumedThisFile = false;
  let freshRestartUsed = false;
  let refusedResumeOnce = false;

  for (;;) {
    let offset = await sizeOnDisk(job.incompletePath);
    if (offset > (job.expectedSize ?? job.maxBytes)) {
      await fs.rm(job.incompletePath, { force: true });
      offset = 0;
    }
    tracker.start(offset);

    const needsBytes = job.expectedSize === undefined || offset < job.expectedSize;
    if (needsBytes) {
      // Errors opening the request were already retried inside openDownload, from the same budget.
      const opened = await openDownload(client, budget, job.url, offset);
      if (offset > 0 && opened.response.status === 206) resumedThisFile = true;
      let received: Received;
      try {
        received = await receiveBody(job, opened, offset, tracker);
      } catch (error) {
        // Network failures are HubErrors by now; anything else is local (disk full, permissions): no retry,
        // download.ts reports it as CACHE_IO.
        if (!(error instanceof HubError)) throw error;
        await budget.retryAfter(error);
        continue;
      }
      if (received.kind === 'restart') {
        // Starting over from byte 0 fixes a stale partial file; a second refusal is the server's problem.
        if (refusedResumeOnce) throw refusedResumeError(job, received);
        refusedResumeOnce = true;
        continue;
      }
    } else {
      resumedThisFile = true; // every byte came from an earlier run
    }
    tracker.finish();

    if (job.expectedSha256 !== undefined) {
      const actual = await sha256OfFile(job.incompletePath);
      if (actual !== job.expectedSha256) {
        await fs.rm(job.incompletePath, { force: true });
        if (resumedThisFile && !freshRestartUsed) {
          freshRestartUsed = true;
          resumedThisFile = false;
          continue;
        }
        throw new HubError(
          'CHECKSUM',
          `The downloaded ${job.file} is corrupt: sha256 ${actual}, expected ${job.expectedSha256}. The partial file was deleted.`,
          { url: job.url },
        );
      }
    }
    await fs.rename(job.incompletePath, job.blobPath);
    return;
  }
}
