/**
 * Moves the bytes of one blob from the network to `blobs/<etag>`, safely.
 *
 * Contract:
 * - Bytes are written to `<blob>.incomplete` only; the final path appears by an atomic rename after
 *   the size and (for LFS files, whose etag is a sha256) the sha256 were checked. A corrupt or partial
 *   file is never left at the final path.
 * - Interrupted transfers (connection reset, stall timeout, server closing early) are resumed with
 *   `Range: bytes=N-`, in this call (retries) and across calls (the `.incomplete` is kept for that).
 *   A retry that made progress does not use up the retry budget; `retries` bounds attempts in a row
 *   that added no byte.
 * - A server that ignores Range (200 instead of 206) restarts the file from byte 0; a 416 or a
 *   Content-Range that does not start where we asked discards the partial file and starts over.
 * - Checksum mismatch: the `.incomplete` is deleted (its bytes are wrong somewhere, resuming on them
 *   cannot help). If the failed file had been resumed, one full fresh download is tried, because the
 *   bad bytes may have come from the earlier run; otherwise HubError('CHECKSUM').
 *   Larger than announced: deleted, HubError('SIZE_MISMATCH').
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { HubError } from './errors.js';
import { backoffDelay, openDownload, sleep, statusError, transportError, type HttpClient, type OpenResponse } from './http.js';
import { ProgressTracker, type ProgressCallback } from './progress.js';

export interface BlobDownload {
  /** Repository file name, for progress events and messages. */
  file: string;
  /** Where the bytes are (CDN location from the HEAD, or the resolve URL). */
  url: string;
  incompletePath: string;
  blobPath: string;
  expectedSize: number | undefined;
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
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function contentRangeStart(header: string | null): number | undefined {
  const match = header?.match(/^bytes\s+(\d+)-/);
  return match ? Number(match[1]) : undefined;
}

type Received = 'complete' | 'restart';

/** Writes one response body into the `.incomplete` file. Returns 'restart' when the partial file had to be dropped. */
async function receiveBody(job: BlobDownload, opened: OpenResponse, offset: number, tracker: ProgressTracker): Promise<Received> {
  const { response, stallTimer, signal } = opened;
  try {
    let writeFrom: number;
    if (response.status === 206 && offset > 0) {
      const start = contentRangeStart(response.headers.get('content-range'));
      if (start !== undefined && start !== offset) {
        await response.body?.cancel().catch(() => undefined);
        await fs.rm(job.incompletePath, { force: true });
        return 'restart';
      }
      writeFrom = offset;
    } else if (response.status === 200 || response.status === 206) {
      // 200 after a Range request: the server ignored it and sends everything, so start the file over.
      writeFrom = 0;
      if (offset > 0) tracker.start(0);
    } else if (response.status === 416) {
      await fs.rm(job.incompletePath, { force: true });
      return 'restart';
    } else {
      const error = statusError(response, opened.url);
      // sendWithRetries already retried 5xx: do not multiply attempts at this level.
      throw new HubError(error.code, error.message, { url: error.url, status: error.status, notFound: error.notFound });
    }

    const handle = await fs.open(job.incompletePath, writeFrom === 0 ? 'w' : 'a');
    let written = writeFrom;
    try {
      if (response.body) {
        for await (const chunk of response.body) {
          stallTimer.kick();
          await handle.write(chunk);
          written += chunk.length;
          tracker.add(chunk.length);
        }
      }
    } catch (error) {
      throw transportError(error, opened.url, signal);
    } finally {
      await handle.close();
    }
    if (job.expectedSize !== undefined && written < job.expectedSize) {
      throw new HubError('NETWORK', `Connection closed after ${written} of ${job.expectedSize} bytes.`, {
        url: opened.url,
        retryable: true,
      });
    }
    return 'complete';
  } finally {
    stallTimer.stop();
  }
}

export async function downloadBlob(client: HttpClient, job: BlobDownload): Promise<void> {
  const tracker = new ProgressTracker(job.file, job.expectedSize, job.onProgress, { intervalMs: job.progressIntervalMs });
  let failuresInARow = 0;
  let resumedThisFile = false;
  let freshRestartUsed = false;

  const retryOrThrow = async (error: HubError, progressed: boolean): Promise<void> => {
    failuresInARow = progressed ? 0 : failuresInARow + 1;
    if (!error.retryable || failuresInARow > client.retries) throw error;
    await sleep(backoffDelay(client, Math.max(1, failuresInARow)));
  };

  for (;;) {
    let offset = await sizeOnDisk(job.incompletePath);
    if (job.expectedSize !== undefined && offset > job.expectedSize) {
      await fs.rm(job.incompletePath, { force: true });
      offset = 0;
    }
    tracker.start(offset);

    const needsBytes = job.expectedSize === undefined || offset < job.expectedSize;
    if (needsBytes) {
      // Errors opening the request were already retried inside openDownload; they end the download.
      const opened = await openDownload(client, job.url, offset);
      if (offset > 0 && opened.response.status === 206) resumedThisFile = true;
      let received: Received;
      try {
        received = await receiveBody(job, opened, offset, tracker);
      } catch (error) {
        const hubError = error instanceof HubError ? error : transportError(error, opened.url, undefined);
        await retryOrThrow(hubError, (await sizeOnDisk(job.incompletePath)) > offset);
        continue;
      }
      if (received === 'restart') {
        await retryOrThrow(new HubError('HTTP', 'The server could not resume the partial download.', { url: job.url, retryable: true }), false);
        continue;
      }
    } else {
      resumedThisFile = true; // every byte came from an earlier run
    }
    tracker.finish();

    const size = await sizeOnDisk(job.incompletePath);
    if (job.expectedSize !== undefined && size > job.expectedSize) {
      await fs.rm(job.incompletePath, { force: true });
      throw new HubError('SIZE_MISMATCH', `Received ${size} bytes for ${job.file}, the hub announced ${job.expectedSize}.`, {
        url: job.url,
      });
    }
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
