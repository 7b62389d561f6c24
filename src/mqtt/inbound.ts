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

export class InboundTracker {
  private readonly ids: Int32Array;
  private readonly hashes: Int32Array;
  private readonly states: Uint8Array;
  /** Awaiting PUBREL (QoS 2 received, PUBREC sent or queued). */
  private readonly qos2Open: Uint8Array;
  /** Token of the message in each slot: unique per message, increasing, so the oldest is the smallest. */
  private readonly tokens: Float64Array;
  private nextToken = 1;

  private readonly ackTypes: Uint8Array;
  private readonly ackIds: Int32Array;
  private readonly ackSlots: Int32Array;
  private readonly ackTokens: Float64Array;
  private ackHead = 0;
  ackCount = 0;

  constructor(
    readonly slotCount: number,
    readonly ackCapacity: number,
  ) {
    this.ids = new Int32Array(slotCount);
    this.hashes = new Int32Array(slotCount);
    this.states = new Uint8Array(slotCount);
    this.qos2Open = new Uint8Array(slotCount);
    this.tokens = new Float64Array(slotCount);
    this.ackTypes = new Uint8Array(ackCapacity);
    this.ackIds = new Int32Array(ackCapacity);
    this.ackSlots = new Int32Array(ackCapacity);
    this.ackTokens = new Float64Array(ackCapacity);
  }

  get ackQueueFull(): boolean {
    return this.ackCount === this.ackCapacity;
  }

  /**
   * The slot of an earlier delivery of this message, or -1. QoS 2: any slot still awaiting PUBREL with this id
   * (the id alone identifies it until then). QoS 1: only a DUP delivery with the same id and content hash matches,
   * so a broker reusing an id for a new message is never mistaken for a duplicate.
   */
  findDuplicate(packetId: number, hash: number, qos: number, dup: boolean): number {
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.states[slot] === Free || this.ids[slot] !== packetId) continue;
      if (qos === 2 && this.qos2Open[slot] === 1) return slot;
      if (dup && this.hashes[slot] === hash) return slot;
    }
    return -1;
  }

  /**
   * Take a slot for a new message, evicting the oldest finished one (a QoS 2 one only after its PUBREL).
   * Returns -1 when every slot is pending or awaiting PUBREL.
   */
  begin(packetId: number, hash: number, qos: number): number {
    let free = -1;
    let oldest = -1;
    for (let slot = 0; slot < this.slotCount; slot++) {
      const state = this.states[slot];
      if (state === Free) {
        if (free < 0) free = slot;
      } else if (state === Done && this.qos2Open[slot] === 0) {
        if (oldest < 0 || this.tokens[slot] < this.tokens[oldest]) oldest = slot;
      }
    }
    const slot = free >= 0 ? free : oldest;
    if (slot < 0) return -1;
    this.ids[slot] = packetId;
    this.hashes[slot] = hash;
    this.states[slot] = Pending;
    this.qos2Open[slot] = qos === 2 ? 1 : 0;
    this.tokens[slot] = this.nextToken++;
    return slot;
  }

  tokenOf(slot: number): number {
    return this.tokens[slot];
  }

  /** The handler finished with the message in `slot` (accepted or rejected). */
  finish(slot: number): void {
    this.states[slot] = Done;
  }

  /** A pending message was committed later: returns false for an unknown or already finished token. */
  finishToken(token: number): boolean {
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.tokens[slot] === token && this.states[slot] === Pending) {
        this.states[slot] = Done;
        return true;
      }
    }
    return false;
  }

  isPending(slot: number): boolean {
    return this.states[slot] === Pending;
  }

  /** PUBREL: the QoS 2 message with this id is complete. */
  release(packetId: number): void {
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.qos2Open[slot] === 1 && this.ids[slot] === packetId) this.qos2Open[slot] = 0;
    }
  }

  /** Queue an ack; `slot` >= 0 makes it wait until that slot's message is done. False when the queue is full. */
  pushAck(type: PacketType, packetId: number, slot: number): boolean {
    if (this.ackCount === this.ackCapacity) return false;
    const index = (this.ackHead + this.ackCount) % this.ackCapacity;
    this.ackTypes[index] = type;
    this.ackIds[index] = packetId;
    this.ackSlots[index] = slot;
    this.ackTokens[index] = slot >= 0 ? this.tokens[slot] : 0;
    this.ackCount++;
    return true;
  }

  /** Type of the first ack if it may be sent now, else 0. */
  readyAckType(): number {
    if (this.ackCount === 0) return 0;
    const index = this.ackHead;
    const slot = this.ackSlots[index];
    if (slot >= 0 && this.tokens[slot] === this.ackTokens[index] && this.states[slot] === Pending) return 0;
    return this.ackTypes[index];
  }

  readyAckId(): number {
    return this.ackIds[this.ackHead];
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
    for (let slot = 0; slot < this.slotCount; slot++) if (this.states[slot] === Pending) count++;
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
