/**
 * Downloads one image into the inactive OTA slot: ranged GETs of `rangeBytes`, each body byte written to the slot
 * and fed to a streaming SHA-256, paced at `bytesPerTick`, retried with backoff after transient failures, resumable.
 *
 * Resume after a reconnect: the offset and the hash state are in RAM; the next request starts at the offset.
 * Resume after a reboot: the caller passes the persisted checkpoint; the slot is reopened there (`resume`) and the
 * hash is rebuilt by reading the slot's first `offset` bytes back (`rehashBytesPerTick` per tick) before the
 * download continues. Re-reading costs one extra pass over what was already written, once per reboot; persisting
 * the SHA-256 midstate instead would need src/crypto to export it, and re-reading also proves what the slot holds.
 *
 * Allocation: the digest and the hash state are allocated here, the read-back buffer only for a resume after a
 * reboot (and dropped once the hash is rebuilt); the body path (poll, write, hash) allocates nothing. The OTA
 * manager makes one downloader (and its HTTP client) per download and drops it at the end.
 */
import { LogLevel, type Log, type OtaSlotWriter } from "../../hal/types";
import type { StreamingHash } from "../crypto/hash";
import { Sha256 } from "../crypto/sha256";
import type { HttpClient, HttpDownloadSink } from "../http/client";
import { HttpError, HTTP_ERROR_NAMES } from "../http/errors";
import type { OtaConfig } from "./config";
import { deepFreeze } from "../core/freeze";

export const DownloadState = deepFreeze({
  Idle: 0,
  /** Reading the slot back to rebuild the hash after a reboot. */
  Rehashing: 1,
  /** A request is under way (or about to be issued). */
  Fetching: 2,
  /** Waiting before a retry. */
  Backoff: 3,
  /** All `size` bytes are in the slot; `digest` holds their SHA-256. */
  Complete: 4,
  Failed: 5,
} as const);
export type DownloadState = (typeof DownloadState)[keyof typeof DownloadState];

/** Slot bytes read back per read while rebuilding the hash after a reboot. */
const READ_BACK_BYTES = 1024;

export interface DownloadStats {
  requests: number;
  retries: number;
  bytesReceived: number;
  /** Bytes received that were already in the slot (a 200 answer to a range request, repeated after a resume). */
  bytesSkipped: number;
  bytesRehashed: number;
  resumedFrom: number;
}

export class ImageDownloader implements HttpDownloadSink {
  state: DownloadState = DownloadState.Idle;
  /** Bytes of the image in the slot (and in the hash). */
  offset = 0;
  size = 0;
  /** Why it failed (when Failed). */
  failure = "";
  readonly digest = new Uint8Array(32);
  readonly stats: DownloadStats = { requests: 0, retries: 0, bytesReceived: 0, bytesSkipped: 0, bytesRehashed: 0, resumedFrom: 0 };
  private url = "";
  private readonly hash: StreamingHash;
  // Rebuilding the hash reads the slot back in pieces of this size (rehashBytesPerTick is a budget over many);
  // only while rehashing, so a download that was not interrupted by a reboot never carries it.
  private readBack: Uint8Array | null = null;
  private requestActive = false;
  private requestStartOffset = 0;
  /** Bytes of the current response still to drop before `offset` is reached. */
  private skip = 0;
  private failuresInRow = 0;
  private retryAtMs = 0;
  private writeError: unknown = null;
  private lastError = "";
  private nowMs = 0;

  constructor(
    readonly http: HttpClient,
    private readonly slots: OtaSlotWriter,
    private readonly config: OtaConfig,
    private readonly log: Log,
    hash?: StreamingHash,
  ) {
    // Pure TS SHA-256 by default (every host); the device can pass a native digest (docs/ota.md, costs).
    this.hash = hash ?? new Sha256();
    if (this.hash.digestSize !== 32) throw new Error("ImageDownloader: the hash must be SHA-256 (32-byte digest)");
  }

  /**
   * Start (offset 0) or resume (offset > 0, after a reboot) the image at `url`. A slot that cannot be resumed is
   * started again from 0. Slot errors propagate: they are the device's, not the download's.
   */
  start(url: string, size: number, resumeOffset: number): void {
    this.url = url;
    this.size = size;
    this.failure = "";
    this.failuresInRow = 0;
    this.writeError = null;
    this.hash.reset();
    this.offset = 0;
    this.stats.resumedFrom = 0;
    if (resumeOffset > 0) {
      try {
        this.slots.resume(size, resumeOffset);
        this.stats.resumedFrom = resumeOffset;
        this.readBack = new Uint8Array(READ_BACK_BYTES);
        this.state = DownloadState.Rehashing;
        return;
      } catch (error) {
        this.log.write(LogLevel.Warn, "ota", `cannot resume at ${resumeOffset}, starting over: ${String(error)}`);
      }
    }
    this.slots.begin(size);
    this.state = DownloadState.Fetching;
  }

  /** Stop without a verdict (the update was abandoned): no callback, the slot is left to the caller. */
  stop(): void {
    if (this.requestActive) this.http.abort();
    this.requestActive = false;
    this.http.close();
    this.state = DownloadState.Idle;
  }

  get active(): boolean {
    return this.state === DownloadState.Rehashing || this.state === DownloadState.Fetching || this.state === DownloadState.Backoff;
  }

  tick(nowMs: number): void {
    switch (this.state) {
      case DownloadState.Rehashing:
        this.rehash();
        return;
      case DownloadState.Backoff:
        if (nowMs < this.retryAtMs) return;
        this.state = DownloadState.Fetching;
        this.fetch(nowMs);
        return;
      case DownloadState.Fetching:
        this.fetch(nowMs);
        return;
      default:
        return;
    }
  }

  // --- HttpDownloadSink ---

  onStart(first: number, total: number): void {
    if (total >= 0 && total !== this.size) {
      this.abortWith(`the server's image is ${total} bytes, the command said ${this.size}`);
      return;
    }
    // A 200 starts at 0: drop what the slot already has.
    this.skip = this.offset - first;
  }

  onData(data: Uint8Array, offset: number, length: number): void {
    if (this.writeError !== null || this.state === DownloadState.Failed) return;
    this.stats.bytesReceived += length;
    let at = offset;
    let count = length;
    if (this.skip > 0) {
      const dropped = count < this.skip ? count : this.skip;
      this.skip -= dropped;
      this.stats.bytesSkipped += dropped;
      at += dropped;
      count -= dropped;
    }
    if (count === 0) return;
    if (this.offset + count > this.size) {
      this.abortWith(`the server sent more than the ${this.size} bytes announced`);
      return;
    }
    try {
      this.slots.write(data, at, count);
    } catch (error) {
      // Stop reading; the error leaves tick() once the HTTP client is back in a clean state.
      this.writeError = error;
      this.http.abort();
      this.requestActive = false;
      return;
    }
    this.hash.update(data, at, count);
    this.offset += count;
  }

  onComplete(): void {
    this.requestActive = false;
    if (this.state === DownloadState.Failed) return;
    if (this.offset === this.size) {
      this.finish();
      return;
    }
    // A response that ends without bringing the offset forward counts as a failure, or a server answering
    // empty bodies would be asked forever.
    if (this.offset === this.requestStartOffset) this.onError(HttpError.Truncated, "the response brought no new bytes");
    else this.failuresInRow = 0;
  }

  onError(error: HttpError, detail: string): void {
    this.requestActive = false;
    if (this.state === DownloadState.Failed) return;
    const message = `${HTTP_ERROR_NAMES[error]}: ${detail}`;
    this.lastError = message;
    if (this.offset > this.requestStartOffset) this.failuresInRow = 0;
    if (!this.transient(error)) {
      this.fail(`download: ${message}`);
      return;
    }
    this.failuresInRow++;
    if (this.failuresInRow > this.config.maxRetries) {
      this.fail(`download: ${message} (${this.failuresInRow} failures in a row)`);
      return;
    }
    this.stats.retries++;
    let delay = this.config.retryBaseMs;
    for (let i = 1; i < this.failuresInRow && delay < this.config.retryMaxMs; i++) delay *= 2;
    if (delay > this.config.retryMaxMs) delay = this.config.retryMaxMs;
    this.retryAtMs = this.nowMs + delay;
    this.state = DownloadState.Backoff;
    this.log.write(LogLevel.Warn, "ota", `download at ${this.offset}/${this.size}: ${message}; retry in ${delay} ms`);
  }

  // --- internals ---

  private fetch(nowMs: number): void {
    this.nowMs = nowMs;
    if (!this.requestActive) {
      if (this.offset === this.size) {
        this.finish();
        return;
      }
      let end = this.offset + this.config.rangeBytes - 1;
      if (end > this.size - 1) end = this.size - 1;
      this.requestStartOffset = this.offset;
      this.skip = 0;
      this.stats.requests++;
      // Set before get(): a request that fails inside get() reports through onError, which clears it.
      this.requestActive = true;
      const started = this.http.get(this.url, this.offset, end, this, nowMs);
      if (started !== HttpError.None) {
        this.requestActive = false;
        this.fail(`download: ${HTTP_ERROR_NAMES[started]}`);
        return;
      }
      if (!this.requestActive) return;
    }
    this.http.poll(nowMs, this.config.bytesPerTick);
    if (this.writeError !== null) {
      const error = this.writeError;
      this.writeError = null;
      this.fail(`slot: write failed at ${this.offset}: ${String(error)}`);
      throw error;
    }
  }

  private rehash(): void {
    const target = this.stats.resumedFrom;
    const readBack = this.readBack as Uint8Array;
    let budget = this.config.rehashBytesPerTick;
    while (this.offset < target && budget > 0) {
      let count = target - this.offset;
      if (count > readBack.length) count = readBack.length;
      if (count > budget) count = budget;
      this.slots.read(this.offset, readBack, 0, count);
      this.hash.update(readBack, 0, count);
      this.offset += count;
      this.stats.bytesRehashed += count;
      budget -= count;
    }
    if (this.offset === target) {
      this.readBack = null;
      this.state = DownloadState.Fetching;
    }
  }

  private transient(error: HttpError): boolean {
    if (error === HttpError.Status) {
      const status = this.http.lastStatus;
      return status >= 500 || status === 408 || status === 429;
    }
    return (
      error === HttpError.Connection ||
      error === HttpError.ConnectTimeout ||
      error === HttpError.IdleTimeout ||
      error === HttpError.Truncated ||
      error === HttpError.Malformed ||
      error === HttpError.SendFailed
    );
  }

  private abortWith(reason: string): void {
    this.http.abort();
    this.requestActive = false;
    this.fail(`download: ${reason}`);
  }

  private finish(): void {
    this.http.close();
    this.hash.finish(this.digest, 0);
    this.state = DownloadState.Complete;
  }

  private fail(reason: string): void {
    this.failure = reason;
    this.state = DownloadState.Failed;
    this.http.close();
  }

  /** The last transient error (for progress reports while retrying). */
  get lastTransientError(): string {
    return this.lastError;
  }
}
