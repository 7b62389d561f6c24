/**
 * QoS 1 uplinks from publish to PUBACK, in one preallocated byte ring: the offline queue and the in-flight window
 * are the same FIFO. Each entry is the complete encoded PUBLISH (packet id included), so sending is a plain write
 * from the ring and a retransmission only sets the DUP bit in place.
 *
 * Order: entries are sent in publish order; the ones sent on the current connection form a prefix. A PUBACK
 * frees its entry; space is reclaimed from the head (brokers acknowledge in order, MQTT-4.6.0-2, so the head is
 * nearly always the one acked). When a new message does not fit, the oldest entries are dropped and counted, even
 * one already in flight: fresh data wins (docs/mqtt.md). Only the entry being written to the socket right now is
 * never dropped (`pinned`), since a half-written packet cannot be taken back.
 *
 * Memory: besides the ring, one Int32Array holds every entry's offset, packet id, state and tag (each typed array
 * costs about 7 XS heap slots, and the device's heaps are fixed). An entry's length is not stored: the entry is a
 * complete PUBLISH, whose fixed header says how long it is, and the bytes of every entry from head to tail stay
 * in place until the head moves past it.
 */

const Queued = 0;
const Sent = 1;
const Dead = 2;

/**
 * Per entry in `table`: its offset in the ring, its packet id | state << 16, and its tag: the owner's handle for
 * it (the uplink journal's sequence number of a durable uplink, 0 for none).
 */
const OFFSET = 0;
const ID_STATE = 1;
const TAG = 2;
const FIELDS = 3;

export class Outbox {
  readonly bytes: Uint8Array;
  private readonly table: Int32Array;
  private head = 0;
  /** Entries from head, dead ones in the middle included. */
  private count = 0;
  /** Position (from head) before which no entry is Queued. */
  private sendPosition = 0;
  /** Ring index of the entry being written to the socket, or -1. */
  pinned = -1;
  inflight = 0;
  live = 0;
  droppedOldest = 0;
  droppedInflight = 0;
  /** The tag of the entry the last successful `ack` freed. */
  lastAckedTag = 0;
  /** Told the tag of every tagged entry dropped to make room (the session forgets it in its journal). */
  onDropTagged: ((tag: number) => void) | null = null;

  constructor(
    readonly capacityBytes: number,
    readonly capacityEntries: number,
  ) {
    this.bytes = new Uint8Array(capacityBytes);
    this.table = new Int32Array(capacityEntries * FIELDS);
  }

  /** The entry's length, from its PUBLISH fixed header: 1 + the remaining-length varint + the remaining length. */
  private entryLength(index: number): number {
    const bytes = this.bytes;
    let p = this.table[index * FIELDS + OFFSET] + 1;
    let remaining = 0;
    let multiplier = 1;
    for (;;) {
      const b = bytes[p++];
      remaining += (b & 127) * multiplier;
      if ((b & 128) === 0) break;
      multiplier *= 128;
    }
    return p - this.table[index * FIELDS + OFFSET] + remaining;
  }

  private stateOf(index: number): number {
    return this.table[index * FIELDS + ID_STATE] >>> 16;
  }

  private setState(index: number, state: number): void {
    const at = index * FIELDS + ID_STATE;
    this.table[at] = (this.table[at] & 0xffff) | (state << 16);
  }

  /** Bytes held by live entries and dead gaps (a figure for the status report). */
  get usedBytes(): number {
    if (this.count === 0) return 0;
    const last = (this.head + this.count - 1) % this.capacityEntries;
    const start = this.table[this.head * FIELDS + OFFSET];
    const end = this.table[last * FIELDS + OFFSET] + this.entryLength(last);
    return end > start ? end - start : this.capacityBytes - start + end;
  }

  /**
   * Find room for an entry of `size` bytes, dropping the oldest entries if needed. Returns the offset to encode
   * at, -1 when the pinned entry is in the way (try later), -2 when `size` can never fit.
   */
  reserve(size: number): number {
    if (size > this.capacityBytes) return -2;
    for (;;) {
      if (this.count < this.capacityEntries) {
        const at = this.place(size);
        if (at >= 0) return at;
      }
      if (this.count === 0 || this.head === this.pinned) return -1;
      this.dropHead();
    }
  }

  /** Record the PUBLISH of `length` bytes just encoded at `offset` (from `reserve`); `tag` is the owner's (0: none). */
  commit(offset: number, length: number, packetId: number, tag = 0): void {
    const index = (this.head + this.count) % this.capacityEntries;
    const row = index * FIELDS;
    this.table[row + OFFSET] = offset;
    this.table[row + ID_STATE] = packetId | (Queued << 16);
    this.table[row + TAG] = tag;
    if (this.entryLength(index) !== length) throw new RangeError(`Outbox.commit: ${length} bytes at ${offset} are not one PUBLISH`);
    this.count++;
    this.live++;
  }

  /** The next entry to send (ring index), or -1. */
  nextToSend(): number {
    while (this.sendPosition < this.count) {
      const index = (this.head + this.sendPosition) % this.capacityEntries;
      if (this.stateOf(index) === Queued) return index;
      this.sendPosition++;
    }
    return -1;
  }

  markSent(index: number): void {
    this.setState(index, Sent);
    this.inflight++;
    this.sendPosition++;
  }

  offsetOf(index: number): number {
    return this.table[index * FIELDS + OFFSET];
  }

  lengthOf(index: number): number {
    return this.entryLength(index);
  }

  packetIdOf(index: number): number {
    return this.table[index * FIELDS + ID_STATE] & 0xffff;
  }

  /** True when the entry's PUBLISH carries DUP (it is a retransmission). */
  isRetransmission(index: number): boolean {
    return (this.bytes[this.table[index * FIELDS + OFFSET]] & 8) !== 0;
  }

  /** PUBACK for `packetId`: frees the entry; false when no entry in flight has that id. */
  ack(packetId: number): boolean {
    const sent = packetId | (Sent << 16);
    for (let k = 0; k < this.count; k++) {
      const index = (this.head + k) % this.capacityEntries;
      if (this.table[index * FIELDS + ID_STATE] === sent) {
        this.setState(index, Dead);
        this.lastAckedTag = this.table[index * FIELDS + TAG];
        this.inflight--;
        this.live--;
        this.reclaim();
        return true;
      }
    }
    return false;
  }

  /** The connection is gone: everything sent but not acknowledged goes out again, with DUP, on the next one. */
  requeueInflight(): void {
    for (let k = 0; k < this.count; k++) {
      const index = (this.head + k) % this.capacityEntries;
      if (this.stateOf(index) === Sent) {
        this.setState(index, Queued);
        this.bytes[this.table[index * FIELDS + OFFSET]] |= 8;
      }
    }
    this.inflight = 0;
    this.sendPosition = 0;
    this.pinned = -1;
  }

  /** Is `packetId` used by a live entry? (Packet ids must be unique among unacknowledged packets.) */
  holds(packetId: number): boolean {
    for (let k = 0; k < this.count; k++) {
      const index = (this.head + k) % this.capacityEntries;
      if (this.stateOf(index) !== Dead && this.packetIdOf(index) === packetId) return true;
    }
    return false;
  }

  /** Oldest live entry (ring index) or -1: for tests and the status report. */
  peekOldest(): number {
    return this.count === 0 ? -1 : this.head;
  }

  private place(size: number): number {
    if (this.count === 0) {
      this.head = 0;
      return 0;
    }
    const last = (this.head + this.count - 1) % this.capacityEntries;
    const headStart = this.table[this.head * FIELDS + OFFSET];
    const lastStart = this.table[last * FIELDS + OFFSET];
    const tail = lastStart + this.entryLength(last);
    if (lastStart >= headStart) {
      if (this.capacityBytes - tail >= size) return tail;
      return headStart >= size ? 0 : -1;
    }
    return headStart - tail >= size ? tail : -1;
  }

  private dropHead(): void {
    const index = this.head;
    if (this.stateOf(index) === Sent) {
      this.inflight--;
      this.droppedInflight++;
    }
    this.setState(index, Dead);
    this.live--;
    this.droppedOldest++;
    const tag = this.table[index * FIELDS + TAG];
    this.reclaim();
    if (tag !== 0 && this.onDropTagged !== null) this.onDropTagged(tag);
  }

  /** Advance the head over dead entries so their bytes can be reused. */
  private reclaim(): void {
    while (this.count > 0 && this.stateOf(this.head) === Dead) {
      this.head = (this.head + 1) % this.capacityEntries;
      this.count--;
      if (this.sendPosition > 0) this.sendPosition--;
    }
    if (this.count === 0) {
      this.head = 0;
      this.sendPosition = 0;
    }
  }
}
