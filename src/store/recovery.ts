/**
 * Boot recovery: rebuild the ring state and the index from flash alone. Read-only (it never writes or erases), so a
 * power cut during recovery is harmless and recovering twice gives the same state.
 *
 * 1. Sector headers: the intact header with the highest sequence is the head. Sectors whose sequence matches their
 *    ring distance from the head are live; anything else is blank or dirty (erased before reuse).
 * 2. If the sector after the head is still live, the head's collection of it was cut short: unless the head's
 *    gc-done word is set, the head holds only partial copies and is dropped (the oldest sector still has them all).
 * 3. Records of live sectors are replayed oldest first. A transaction's records wait in a pending list and apply
 *    only when its commit record is read; a record of the next transaction whose `back` field names it also proves
 *    the commit (the commit record itself may have been hit by a bit flip). Copies apply at once; conditional copies
 *    wait until their transaction's fate is known (void if it committed, applied if it did not).
 */
import type { Counters } from "../core/counters";
import {
  FLAG_COMMIT,
  FLAG_CONDITIONAL,
  FLAG_COPY,
  KIND_CLEAR,
  KIND_DELETE,
  KIND_MASK,
  RECORD_HEADER_BYTES,
  SECTOR_HEADER_BYTES,
  gcDoneSet,
} from "./format";
import { SECTOR_BLANK, SECTOR_DIRTY, SECTOR_LIVE, type Ring } from "./ring";

export interface RecoveryCounters {
  counters: Counters;
  abandoned: number;
  droppedHeads: number;
  anomalies: number;
  indexOverflow: number;
  txOverflow: number;
}

/** What recovery found, for logs and tests. */
export interface RecoveryReport {
  liveSectors: number;
  records: number;
  committedTransactions: number;
  abandonedTransactions: number;
  corruptRegions: number;
  /** The head's collection was cut short and the head was dropped. */
  droppedHead: boolean;
}

export class Recovery {
  private readonly pending: Uint32Array;
  private pendingCount = 0;
  private pendingSeq = 0;
  private pendingOverflow = false;
  private readonly asideLocation: Uint32Array;
  private readonly asideSeq: Uint32Array;
  private readonly hasHeader: Uint8Array;
  private asideCount = 0;
  private decidedSeq = 0;
  private decidedCommitted = false;
  private maxTxSeq = 0;
  private report: RecoveryReport = emptyReport();

  constructor(
    private readonly ring: Ring,
    maxTxRecords: number,
    private readonly c: RecoveryCounters,
  ) {
    this.pending = new Uint32Array(maxTxRecords + 1);
    this.asideLocation = new Uint32Array(ring.index.capacity + 1);
    this.asideSeq = new Uint32Array(ring.index.capacity + 1);
    this.hasHeader = new Uint8Array(ring.sectorCount);
  }

  run(): RecoveryReport {
    const ring = this.ring;
    const log = ring.log;
    const n = ring.sectorCount;
    const size = ring.sectorSize;
    this.report = emptyReport();
    this.pendingCount = 0;
    this.pendingSeq = 0;
    this.pendingOverflow = false;
    this.asideCount = 0;
    this.decidedSeq = 0;
    this.maxTxSeq = 0;
    ring.lastCommittedSeq = 0;
    log.corruptRegions = 0;

    // 1. Headers.
    let head = -1;
    let headSeq = 0;
    let maxHeaderTx = 0;
    for (let s = 0; s < n; s++) {
      ring.state[s] = SECTOR_DIRTY;
      if (!log.readSectorHeader(s)) continue;
      ring.seq[s] = log.hdrSeq;
      ring.state[s] = SECTOR_LIVE; // provisional: "has a good header"
      if (log.hdrTxSeq > maxHeaderTx) maxHeaderTx = log.hdrTxSeq;
      if (head < 0 || log.hdrSeq > headSeq) {
        head = s;
        headSeq = log.hdrSeq;
      }
    }
    const hasHeader = this.hasHeader;
    for (let s = 0; s < n; s++) {
      hasHeader[s] = ring.state[s] === SECTOR_LIVE ? 1 : 0;
      ring.state[s] = SECTOR_DIRTY;
    }

    if (head >= 0) {
      // 2. The live window: distance d from the head must carry sequence headSeq - d.
      for (let d = 0; d < n; d++) {
        const s = (head - d + n) % n;
        if (hasHeader[s] && headSeq - d >= 1 && ring.seq[s] === headSeq - d) ring.state[s] = SECTOR_LIVE;
      }
      const oldest = (head + 1) % n;
      if (ring.state[oldest] === SECTOR_LIVE) {
        log.readSectorHeader(head);
        if (gcDoneSet(log.hdrGcWord)) {
          ring.state[oldest] = SECTOR_DIRTY; // collected; its erase was cut short
        } else {
          ring.state[head] = SECTOR_DIRTY; // partial copies only: the oldest sector still has everything
          head = (head - 1 + n) % n;
          headSeq -= 1;
          this.report.droppedHead = true;
          this.c.counters.add(this.c.droppedHeads);
        }
      }
    }
    for (let s = 0; s < n; s++) {
      ring.live[s] = 0;
      if (ring.state[s] !== SECTOR_LIVE) ring.state[s] = log.isBlank(s, 0, size) ? SECTOR_BLANK : SECTOR_DIRTY;
      else this.report.liveSectors++;
    }

    // 3. Replay, oldest sector first.
    let headEnd = size;
    if (head >= 0) {
      for (let d = n - 1; d >= 0; d--) {
        const s = (head - d + n) % n;
        if (ring.state[s] !== SECTOR_LIVE) continue;
        let end = SECTOR_HEADER_BYTES;
        for (let pos = log.nextRecord(s, SECTOR_HEADER_BYTES); pos >= 0; pos = log.nextRecord(s, end)) {
          // Take the size now: onRecord may apply pending records, which re-reads them through the same parser.
          end = pos + log.recSize;
          this.report.records++;
          this.onRecord(s * size + pos);
        }
        if (d === 0) headEnd = log.isBlank(s, end, size) ? end : size;
      }
    }
    if (this.pendingSeq !== 0) this.abandonPending();
    this.applyAside(0xffffffff, true);

    // 4. Where writing resumes.
    if (head < 0) {
      ring.head = n - 1;
      ring.headSeq = 0;
      ring.headPos = size;
    } else {
      ring.head = head;
      ring.headSeq = headSeq;
      ring.headPos = ring.state[head] === SECTOR_LIVE ? headEnd : size;
    }
    ring.nextTxSeq = Math.max(this.maxTxSeq + 1, maxHeaderTx, 1);
    ring.inFlightSeq = 0;
    this.report.corruptRegions = log.corruptRegions;
    return this.report;
  }

  private onRecord(location: number): void {
    const log = this.ring.log;
    const kind = log.recKind;
    const tx = log.recTxSeq;
    if ((kind & FLAG_COPY) !== 0) {
      if ((kind & FLAG_CONDITIONAL) === 0) {
        this.applyParsed(location);
        return;
      }
      if (tx > this.maxTxSeq) this.maxTxSeq = tx;
      if (tx === this.pendingSeq || tx > Math.max(this.pendingSeq, this.decidedSeq)) this.aside(location, tx);
      else if (tx === this.decidedSeq) {
        if (!this.decidedCommitted) this.apply(location);
      } else {
        // Cannot happen with this writer: keep the value rather than lose it.
        this.c.counters.add(this.c.anomalies);
        this.apply(location);
      }
      return;
    }
    if (tx > this.maxTxSeq) this.maxTxSeq = tx;
    /** Whether the parser still holds this record (deciding other records re-reads them through it). */
    let fresh = true;
    if (this.pendingSeq !== 0 && tx !== this.pendingSeq) {
      const back = log.recBack;
      if (back !== 0 && tx - back === this.pendingSeq) this.commitPending();
      else this.abandonPending();
      fresh = false;
    }
    // Transactions before this one are over: conditional copies still waiting belong to ones that never committed
    // (typically cut before their first record), and must apply now, before anything this transaction changes.
    if (this.asideCount > 0) {
      this.applyAside(tx, false);
      fresh = false;
    }
    if (this.pendingSeq !== tx) {
      if ((kind & FLAG_COMMIT) !== 0) {
        // A one-record transaction (the common case): no pending list needed.
        if (fresh) this.applyParsed(location);
        else this.apply(location);
        if (this.asideCount > 0) this.voidAside(tx);
        this.committed(tx);
        return;
      }
      this.pendingSeq = tx;
      this.pendingCount = 0;
      this.pendingOverflow = false;
    }
    if (this.pendingCount < this.pending.length) this.pending[this.pendingCount++] = location;
    else this.pendingOverflow = true;
    if ((kind & FLAG_COMMIT) !== 0) this.commitPending();
  }

  private commitPending(): void {
    const seq = this.pendingSeq;
    if (this.pendingOverflow) {
      // More records than this build's maxTxRecords (options shrunk since it was written): cannot apply atomically.
      this.c.counters.add(this.c.txOverflow);
      this.abandonPending();
      return;
    }
    this.applyAside(seq, false);
    for (let i = 0; i < this.pendingCount; i++) this.apply(this.pending[i]);
    this.voidAside(seq);
    this.committed(seq);
  }

  private committed(seq: number): void {
    this.ring.lastCommittedSeq = seq;
    this.report.committedTransactions++;
    this.decidedSeq = seq;
    this.decidedCommitted = true;
    this.pendingSeq = 0;
    this.pendingCount = 0;
  }

  private abandonPending(): void {
    const seq = this.pendingSeq;
    this.applyAside(seq, true);
    this.report.abandonedTransactions++;
    this.c.counters.add(this.c.abandoned);
    this.decidedSeq = seq;
    this.decidedCommitted = false;
    this.pendingSeq = 0;
    this.pendingCount = 0;
    this.pendingOverflow = false;
  }

  private aside(location: number, seq: number): void {
    if (this.asideCount === this.asideLocation.length) {
      this.c.counters.add(this.c.anomalies);
      this.apply(location);
      return;
    }
    this.asideLocation[this.asideCount] = location;
    this.asideSeq[this.asideCount] = seq;
    this.asideCount++;
  }

  /** Apply (in log order) the conditional copies of transactions before `seq` (and of `seq` itself if `inclusive`). */
  private applyAside(seq: number, inclusive: boolean): void {
    let kept = 0;
    for (let i = 0; i < this.asideCount; i++) {
      const s = this.asideSeq[i];
      if (s < seq || (inclusive && s === seq)) this.apply(this.asideLocation[i]);
      else {
        this.asideLocation[kept] = this.asideLocation[i];
        this.asideSeq[kept] = s;
        kept++;
      }
    }
    this.asideCount = kept;
  }

  private voidAside(seq: number): void {
    let kept = 0;
    for (let i = 0; i < this.asideCount; i++) {
      if (this.asideSeq[i] === seq) continue;
      this.asideLocation[kept] = this.asideLocation[i];
      this.asideSeq[kept] = this.asideSeq[i];
      kept++;
    }
    this.asideCount = kept;
  }

  private apply(location: number): void {
    if (this.ring.log.readRecordAt(location, false)) this.applyParsed(location);
  }

  /** Apply the record whose bytes and fields the log parser holds now. */
  private applyParsed(location: number): void {
    const ring = this.ring;
    const log = ring.log;
    const collection = log.recCollection;
    const kind = log.recKind & KIND_MASK;
    if (kind === KIND_CLEAR) ring.applyClear(collection);
    else if (kind === KIND_DELETE) ring.applyDelete(collection, log.record, RECORD_HEADER_BYTES, log.recKeyLength);
    else if (!ring.applyPut(collection, log.record, RECORD_HEADER_BYTES, log.recKeyLength, location, log.recSize)) {
      this.c.counters.add(this.c.indexOverflow);
    }
  }
}

function emptyReport(): RecoveryReport {
  return { liveSectors: 0, records: 0, committedTransactions: 0, abandonedTransactions: 0, corruptRegions: 0, droppedHead: false };
}
