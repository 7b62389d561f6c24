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
 */

const Queued = 0;
const Sent = 1;
const Dead = 2;

export class Outbox {
  readonly bytes: Uint8Array;
  private readonly offsets: Int32Array;
  private readonly lengths: Int32Array;
  private readonly ids: Int32Array;
  private readonly states: Uint8Array;
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

  constructor(
    readonly capacityBytes: number,
    readonly capacityEntries: number,
  ) {
    this.bytes = new Uint8Array(capacityBytes);
    this.offsets = new Int32Array(capacityEntries);
    this.lengths = new Int32Array(capacityEntries);
    this.ids = new Int32Array(capacityEntries);
    this.states = new Uint8Array(capacityEntries);
  }

  /** Bytes held by live entries and dead gaps (a figure for the status report). */
  get usedBytes(): number {
    if (this.count === 0) return 0;
    const last = (this.head + this.count - 1) % this.capacityEntries;
    const start = this.offsets[this.head];
    const end = this.offsets[last] + this.lengths[last];
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

  /** Record the entry just encoded at `offset` (from `reserve`). */
  commit(offset: number, length: number, packetId: number): void {
    const index = (this.head + this.count) % this.capacityEntries;
    this.offsets[index] = offset;
    this.lengths[index] = length;
    this.ids[index] = packetId;
    this.states[index] = Queued;
    this.count++;
    this.live++;
  }

  /** The next entry to send (ring index), or -1. */
  nextToSend(): number {
    while (this.sendPosition < this.count) {
      const index = (this.head + this.sendPosition) % this.capacityEntries;
      if (this.states[index] === Queued) return index;
      this.sendPosition++;
    }
    return -1;
  }

  markSent(index: number): void {
    this.states[index] = Sent;
    this.inflight++;
    this.sendPosition++;
  }

  offsetOf(index: number): number {
    return this.offsets[index];
  }

  lengthOf(index: number): number {
    return this.lengths[index];
  }

  packetIdOf(index: number): number {
    return this.ids[index];
  }

  /** True when the entry's PUBLISH carries DUP (it is a retransmission). */
  isRetransmission(index: number): boolean {
    return (this.bytes[this.offsets[index]] & 8) !== 0;
  }

  /** PUBACK for `packetId`: frees the entry; false when no entry in flight has that id. */
  ack(packetId: number): boolean {
    for (let k = 0; k < this.count; k++) {
      const index = (this.head + k) % this.capacityEntries;
      if (this.states[index] === Sent && this.ids[index] === packetId) {
        this.states[index] = Dead;
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
      if (this.states[index] === Sent) {
        this.states[index] = Queued;
        this.bytes[this.offsets[index]] |= 8;
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
      if (this.states[index] !== Dead && this.ids[index] === packetId) return true;
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
    const headStart = this.offsets[this.head];
    const tail = this.offsets[last] + this.lengths[last];
    if (this.offsets[last] >= headStart) {
      if (this.capacityBytes - tail >= size) return tail;
      return headStart >= size ? 0 : -1;
    }
    return headStart - tail >= size ? tail : -1;
  }

  private dropHead(): void {
    const index = this.head;
    if (this.states[index] === Sent) {
      this.inflight--;
      this.droppedInflight++;
    }
    this.states[index] = Dead;
    this.live--;
    this.droppedOldest++;
    this.reclaim();
  }

  /** Advance the head over dead entries so their bytes can be reused. */
  private reclaim(): void {
    while (this.count > 0 && this.states[this.head] === Dead) {
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
