import { PacketType } from "./constants";

/**
 * Downlink QoS 1/2 bookkeeping, fixed size:
 * - slots remember recent messages (packet id + a hash of topic and payload) and whether the handler finished
 *   them (Done) or is still persisting them (Pending), so a redelivery (same id, DUP, same content) is answered
 *   without running the handler twice, and a QoS 2 message is handed over once until its PUBREL;
 * - the ack queue keeps PUBACK/PUBREC/PUBCOMP in the order the packets arrived (MQTT-4.6.0-2..4): an ack waiting
 *   for a pending handler holds back the ones behind it.
 */

const Free = 0;
const Pending = 1;
const Done = 2;

/**
 * Memory: one Int32Array holds everything (each typed array costs about 7 XS heap slots, and the device's heaps
 * are fixed): per slot [packet id | state << 16 | awaiting PUBREL << 20, content hash, token], then per queued ack
 * [packet id | packet type << 16, slot, the slot's token when queued].
 *
 * Tokens are unique per message and increasing, 31-bit, wrapping from 2^31 - 1 to 1 (0 means none): comparisons
 * are wrap-safe, and equality only ever involves tokens of live slots, a few messages apart.
 */
const SLOT_FIELDS = 3;
const ACK_FIELDS = 3;
const HASH = 1;
const TOKEN = 2;
const ACK_SLOT = 1;
const ACK_TOKEN = 2;
const ID_MASK = 0xffff;
const STATE_SHIFT = 16;
const STATE_MASK = 0xf << STATE_SHIFT;
const QOS2_OPEN = 1 << 20;

export class InboundTracker {
  private readonly ints: Int32Array;
  /** Where the ack queue starts in `ints`. */
  private readonly ackBase: number;
  private nextToken = 1;
  private ackHead = 0;
  ackCount = 0;

  constructor(
    readonly slotCount: number,
    readonly ackCapacity: number,
  ) {
    this.ackBase = slotCount * SLOT_FIELDS;
    this.ints = new Int32Array(this.ackBase + ackCapacity * ACK_FIELDS);
  }

  get ackQueueFull(): boolean {
    return this.ackCount === this.ackCapacity;
  }

  private stateOf(slot: number): number {
    return (this.ints[slot * SLOT_FIELDS] & STATE_MASK) >> STATE_SHIFT;
  }

  private setState(slot: number, state: number): void {
    const at = slot * SLOT_FIELDS;
    this.ints[at] = (this.ints[at] & ~STATE_MASK) | (state << STATE_SHIFT);
  }

  /**
   * The slot of an earlier delivery of this message, or -1. QoS 2: any slot still awaiting PUBREL with this id
   * (the id alone identifies it until then). QoS 1: only a DUP delivery with the same id and content hash matches,
   * so a broker reusing an id for a new message is never mistaken for a duplicate.
   */
  findDuplicate(packetId: number, hash: number, qos: number, dup: boolean): number {
    const ints = this.ints;
    for (let slot = 0; slot < this.slotCount; slot++) {
      const word = ints[slot * SLOT_FIELDS];
      if ((word & STATE_MASK) === Free << STATE_SHIFT || (word & ID_MASK) !== packetId) continue;
      if (qos === 2 && (word & QOS2_OPEN) !== 0) return slot;
      if (dup && ints[slot * SLOT_FIELDS + HASH] === hash) return slot;
    }
    return -1;
  }

  /**
   * Take a slot for a new message, evicting the oldest finished one (a QoS 2 one only after its PUBREL).
   * Returns -1 when every slot is pending or awaiting PUBREL.
   */
  begin(packetId: number, hash: number, qos: number): number {
    const ints = this.ints;
    let free = -1;
    let oldest = -1;
    for (let slot = 0; slot < this.slotCount; slot++) {
      const word = ints[slot * SLOT_FIELDS];
      const state = (word & STATE_MASK) >> STATE_SHIFT;
      if (state === Free) {
        if (free < 0) free = slot;
      } else if (state === Done && (word & QOS2_OPEN) === 0) {
        if (oldest < 0 || ((ints[slot * SLOT_FIELDS + TOKEN] - ints[oldest * SLOT_FIELDS + TOKEN]) | 0) < 0) oldest = slot;
      }
    }
    const slot = free >= 0 ? free : oldest;
    if (slot < 0) return -1;
    ints[slot * SLOT_FIELDS] = packetId | (Pending << STATE_SHIFT) | (qos === 2 ? QOS2_OPEN : 0);
    ints[slot * SLOT_FIELDS + HASH] = hash;
    ints[slot * SLOT_FIELDS + TOKEN] = this.nextToken;
    this.nextToken = this.nextToken === 0x7fffffff ? 1 : this.nextToken + 1;
    return slot;
  }

  tokenOf(slot: number): number {
    return this.ints[slot * SLOT_FIELDS + TOKEN];
  }

  /** The handler finished with the message in `slot` (accepted or rejected). */
  finish(slot: number): void {
    this.setState(slot, Done);
  }

  /** A pending message was committed later: returns false for an unknown or already finished token. */
  finishToken(token: number): boolean {
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.ints[slot * SLOT_FIELDS + TOKEN] === token && this.stateOf(slot) === Pending) {
        this.setState(slot, Done);
        return true;
      }
    }
    return false;
  }

  isPending(slot: number): boolean {
    return this.stateOf(slot) === Pending;
  }

  /** PUBREL: the QoS 2 message with this id is complete. */
  release(packetId: number): void {
    const ints = this.ints;
    for (let slot = 0; slot < this.slotCount; slot++) {
      const at = slot * SLOT_FIELDS;
      if ((ints[at] & QOS2_OPEN) !== 0 && (ints[at] & ID_MASK) === packetId) ints[at] &= ~QOS2_OPEN;
    }
  }

  /** Queue an ack; `slot` >= 0 makes it wait until that slot's message is done. False when the queue is full. */
  pushAck(type: PacketType, packetId: number, slot: number): boolean {
    if (this.ackCount === this.ackCapacity) return false;
    const index = (this.ackHead + this.ackCount) % this.ackCapacity;
    const at = this.ackBase + index * ACK_FIELDS;
    this.ints[at] = packetId | (type << 16);
    this.ints[at + ACK_SLOT] = slot;
    this.ints[at + ACK_TOKEN] = slot >= 0 ? this.ints[slot * SLOT_FIELDS + TOKEN] : 0;
    this.ackCount++;
    return true;
  }

  /** Type of the first ack if it may be sent now, else 0. */
  readyAckType(): number {
    if (this.ackCount === 0) return 0;
    const index = this.ackHead;
    const at = this.ackBase + index * ACK_FIELDS;
    const slot = this.ints[at + ACK_SLOT];
    if (slot >= 0 && this.ints[slot * SLOT_FIELDS + TOKEN] === this.ints[at + ACK_TOKEN] && this.stateOf(slot) === Pending) return 0;
    return this.ints[at] >>> 16;
  }

  readyAckId(): number {
    return this.ints[this.ackBase + this.ackHead * ACK_FIELDS] & ID_MASK;
  }

  popAck(): void {
    this.ackHead = (this.ackHead + 1) % this.ackCapacity;
    this.ackCount--;
  }

  /** Acks belong to one connection: after a reconnect the broker redelivers and they are queued again. */
  clearAcks(): void {
    this.ackHead = 0;
    this.ackCount = 0;
  }

  pendingCount(): number {
    let count = 0;
    for (let slot = 0; slot < this.slotCount; slot++) if (this.stateOf(slot) === Pending) count++;
    return count;
  }
}

/** FNV-1a over a byte range, continuing from `hash` (start with 0x811c9dc5). */
export function fnv1a(hash: number, data: Uint8Array, offset: number, length: number): number {
  let h = hash;
  for (let i = offset; i < offset + length; i++) h = Math.imul(h ^ data[i], 0x01000193);
  return h | 0;
}

export const FNV_OFFSET = 0x811c9dc5 | 0;
