/**
 * Typed views over the record store's collections. Reads go through these objects; writes take the raw Transaction
 * they belong to (GatewayTransaction in gateway-store.ts binds them for callers).
 *
 * Keys: "text" keys are UTF-8 (1..maxKeyBytes bytes); "id" keys are positive 32-bit integers stored big-endian.
 * Values: JSON-like values are stored packed (packed-json.ts); numbers as float64; reply texts as UTF-8.
 */
import { StoreError } from "./errors";
import { packedDecode, packedToJson, packedEncode } from "./packed-json";
import type { RecordStore } from "./record-store";
import type { Transaction } from "./transaction";
import { utf8Decode, utf8Encode } from "./utf8";

/** Buffers shared by all typed collections of one store (the store is single-threaded). Not named `Scratch`: the
 * Moddable TCP adapter has a class of that name, and rollup would emit a renamed `let Scratch$1 = class` binding. */
export class StoreScratch {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly f64: Float64Array;
  /** The bytes of `f64`. */
  readonly f64Bytes: Uint8Array;

  constructor(maxKeyBytes: number, maxValueBytes: number) {
    // One buffer for all four views (each ArrayBuffer of its own would cost ~3 more XS heap slots).
    const buffer = new ArrayBuffer(8 + maxKeyBytes + maxValueBytes);
    this.f64 = new Float64Array(buffer, 0, 1);
    this.f64Bytes = new Uint8Array(buffer, 0, 8);
    this.key = new Uint8Array(buffer, 8, maxKeyBytes);
    this.value = new Uint8Array(buffer, 8 + maxKeyBytes, maxValueBytes);
  }
}

export type KeyKind = "text" | "id";

/** Common key handling. */
abstract class Collection<K extends string | number> {
  constructor(
    protected readonly store: RecordStore,
    readonly id: number,
    readonly keyKind: KeyKind,
    protected readonly scratch: StoreScratch,
  ) {}

  get name(): string {
    return this.store.collectionName(this.id);
  }

  get size(): number {
    return this.store.count(this.id);
  }

  get capacity(): number {
    return this.store.collectionCapacity(this.id);
  }

  has(key: K): boolean {
    return this.store.has(this.id, this.scratch.key, 0, this.encodeKey(key));
  }

  /** All keys (order unspecified). Allocates: boot and command rate. */
  keys(): K[] {
    const out: K[] = [];
    this.store.forEachKey(this.id, (key, length) => out.push(this.decodeKey(key, length)));
    return out;
  }

  delete(tx: Transaction, key: K): void {
    tx.delete(this.id, this.scratch.key, 0, this.encodeKey(key));
  }

  clear(tx: Transaction): void {
    tx.clear(this.id);
  }

  /** Encode into scratch.key; returns the length. */
  protected encodeKey(key: K): number {
    const buf = this.scratch.key;
    if (this.keyKind === "id") {
      const id = key as number;
      if (!(typeof id === "number" && Number.isInteger(id) && id >= 1 && id <= 0xffffffff)) {
        throw new StoreError("KEY_INVALID", `${this.name}: id ${String(key)} (an integer 1..4294967295)`);
      }
      buf[0] = (id >>> 24) & 0xff;
      buf[1] = (id >>> 16) & 0xff;
      buf[2] = (id >>> 8) & 0xff;
      buf[3] = id & 0xff;
      return 4;
    }
    const text = key as string;
    const length = typeof text === "string" && text.length > 0 ? utf8Encode(text, buf, 0, buf.length) : -1;
    if (length <= 0) {
      throw new StoreError("KEY_INVALID", `${this.name}: key ${JSON.stringify(key)} (a non-empty string of at most ${buf.length} UTF-8 bytes)`);
    }
    return length;
  }

  protected decodeKey(key: Uint8Array, length: number): K {
    if (this.keyKind === "id") return (((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0) as K;
    const text = utf8Decode(key, 0, length);
    if (text === null) throw new StoreError("CORRUPT", `${this.name}: a key is not valid UTF-8`);
    return text as K;
  }

  /** Read the value into scratch.value; returns its length or -1. */
  protected loadValue(key: K): number {
    return this.store.get(this.id, this.scratch.key, 0, this.encodeKey(key), this.scratch.value, 0);
  }
}

/** JSON-like documents (strategies, tasks, settings, OTA state), stored packed. */
export class DocumentCollection<K extends string | number> extends Collection<K> {
  /** The stored value (a fresh object each call), or undefined. */
  get(key: K): unknown {
    const length = this.loadValue(key);
    return length < 0 ? undefined : packedDecode(this.scratch.value, 0, length, `${this.name} ${String(key)}`);
  }

  /** The stored value as JSON text: identical to the text given to putJson if that text came from JSON.stringify. */
  getJson(key: K): string | undefined {
    const length = this.loadValue(key);
    return length < 0 ? undefined : packedToJson(this.scratch.value, 0, length, `${this.name} ${String(key)}`);
  }

  /** Every document (allocates; boot and command rate). */
  entries(): { key: K; value: unknown }[] {
    return this.keys().map((key) => ({ key, value: this.get(key) }));
  }

  put(tx: Transaction, key: K, value: unknown): void {
    const keyLength = this.encodeKey(key);
    let length: number;
    try {
      length = packedEncode(value, this.scratch.value, 0, this.scratch.value.length);
    } catch (error) {
      tx.abort();
      if (error instanceof StoreError) throw new StoreError(error.code, `${this.name} ${String(key)}: ${error.message.slice(error.code.length + 2)}`);
      throw error;
    }
    tx.put(this.id, this.scratch.key, 0, keyLength, this.scratch.value, 0, length);
  }

  /** Store JSON text (parsed and packed; refused with VALUE_INVALID if it is not JSON). */
  putJson(tx: Transaction, key: K, json: string): void {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (error) {
      tx.abort();
      throw new StoreError("VALUE_INVALID", `${this.name} ${String(key)}: not JSON (${String(error)})`);
    }
    this.put(tx, key, value);
  }
}

/** Numbers by name (desired-property versions, counters such as the next strategy id), stored as float64. */
export class NumberCollection extends Collection<string> {
  get(name: string): number | undefined {
    const length = this.loadValue(name);
    if (length < 0) return undefined;
    if (length !== 8) throw new StoreError("CORRUPT", `${this.name} ${name}: ${length}-byte number`);
    const bytes = this.scratch.f64Bytes;
    for (let i = 0; i < 8; i++) bytes[i] = this.scratch.value[i];
    return this.scratch.f64[0];
  }

  /** name -> number for every record (allocates). */
  entries(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of this.keys()) out[name] = this.get(name) as number;
    return out;
  }

  set(tx: Transaction, name: string, value: number): void {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      tx.abort();
      throw new StoreError("VALUE_INVALID", `${this.name} ${name}: ${String(value)} is not a finite number`);
    }
    const keyLength = this.encodeKey(name);
    this.scratch.f64[0] = value;
    tx.put(this.id, this.scratch.key, 0, keyLength, this.scratch.f64Bytes, 0, 8);
  }
}

/**
 * The month's peak demand: one 12-byte record (float64 value, uint32 month key such as 202406), cached in RAM.
 * `set` outside a transaction is the steady-state path: it allocates nothing.
 */
export class PeakDemand {
  private static readonly KEY = Uint8Array.of(0x70); // "p"
  // One buffer for the three views (src/core/columns.ts explains the saving).
  private readonly f64 = new Float64Array(3);
  private readonly f64Bytes = new Uint8Array(this.f64.buffer, 0, 8);
  private readonly buf = new Uint8Array(this.f64.buffer, 8, 12);
  private cachedMonth = -1;
  private cachedValue = 0;

  constructor(
    private readonly store: RecordStore,
    readonly id: number,
  ) {
    if (store.get(id, PeakDemand.KEY, 0, 1, this.buf, 0) === 12) this.decode();
  }

  /** Month key of the stored peak, or -1 when none was stored. */
  get month(): number {
    return this.cachedMonth;
  }

  /** The stored peak (0 when none). */
  get value(): number {
    return this.cachedValue;
  }

  /** Commit a new peak now (one record, no allocation). */
  set(month: number, value: number): void {
    this.check(month, value);
    this.encode(month, value);
    this.store.put(this.id, PeakDemand.KEY, 0, 1, this.buf, 0, 12);
    this.cachedMonth = month;
    this.cachedValue = value;
  }

  /** Stage in a transaction; call `committed` after the commit returned (GatewayTransaction does). */
  stage(tx: Transaction, month: number, value: number): void {
    try {
      this.check(month, value);
    } catch (error) {
      tx.abort();
      throw error;
    }
    this.encode(month, value);
    tx.put(this.id, PeakDemand.KEY, 0, 1, this.buf, 0, 12);
  }

  committed(month: number, value: number): void {
    this.cachedMonth = month;
    this.cachedValue = value;
  }

  private check(month: number, value: number): void {
    if (!(Number.isInteger(month) && month >= 0 && month <= 0xffffffff)) throw new StoreError("VALUE_INVALID", `peak month key ${month} (uint32, e.g. 202406)`);
    if (!Number.isFinite(value)) throw new StoreError("VALUE_INVALID", `peak value ${value} is not a finite number`);
  }

  private encode(month: number, value: number): void {
    this.f64[0] = value;
    for (let i = 0; i < 8; i++) this.buf[i] = this.f64Bytes[i];
    this.buf[8] = month & 0xff;
    this.buf[9] = (month >>> 8) & 0xff;
    this.buf[10] = (month >>> 16) & 0xff;
    this.buf[11] = (month >>> 24) & 0xff;
  }

  private decode(): void {
    for (let i = 0; i < 8; i++) this.f64Bytes[i] = this.buf[i];
    this.cachedValue = this.f64[0];
    this.cachedMonth = (this.buf[8] | (this.buf[9] << 8) | (this.buf[10] << 16) | (this.buf[11] << 24)) >>> 0;
  }
}

/**
 * The replies to the last N commands by message id, so a redelivered command is answered with the same reply
 * instead of being applied twice. Store the reply in the same transaction as the change it reports. When full,
 * the oldest reply is deleted in that same transaction; evictions are counted.
 */
export class RecentReplies extends Collection<string> {
  /** Mids oldest first, with their sequence numbers (RAM mirror of what is committed). */
  private order: { mid: string; seq: number }[] = [];
  private nextSeq = 1;
  evictions = 0;

  /** Called once at open: rebuild the age order from the stored sequence numbers. */
  rebuild(): void {
    this.order = [];
    for (const mid of this.keys()) {
      const length = this.loadValue(mid);
      if (length < 4) continue;
      const seq = readU32(this.scratch.value, 0);
      this.order.push({ mid, seq });
      if (seq >= this.nextSeq) this.nextSeq = seq + 1;
    }
    this.order.sort((a, b) => a.seq - b.seq);
  }

  get(mid: string): string | null {
    const length = this.loadValue(mid);
    if (length < 0) return null;
    if (length < 4) throw new StoreError("CORRUPT", `${this.name} ${mid}: ${length}-byte reply`);
    const text = utf8Decode(this.scratch.value, 4, length - 4);
    if (text === null) throw new StoreError("CORRUPT", `${this.name} ${mid}: reply is not UTF-8`);
    return text;
  }

  /** Stage a reply; `plan` collects what the commit will change in the RAM order. */
  stage(tx: Transaction, mid: string, text: string, plan: ReplyPlan): void {
    const keyLength = this.encodeKey(mid);
    const value = this.scratch.value;
    const seq = this.nextSeq + plan.added.length;
    value[0] = seq & 0xff;
    value[1] = (seq >>> 8) & 0xff;
    value[2] = (seq >>> 16) & 0xff;
    value[3] = (seq >>> 24) & 0xff;
    const written = utf8Encode(text, value, 4, value.length);
    if (written < 0) {
      tx.abort();
      throw new StoreError("RECORD_TOO_LARGE", `${this.name} ${mid}: reply longer than ${value.length - 4} UTF-8 bytes`);
    }
    tx.put(this.id, this.scratch.key, 0, keyLength, value, 0, 4 + written);
    const known = this.order.some((e) => e.mid === mid) || plan.added.some((e) => e.mid === mid);
    plan.added.push({ mid, seq });
    if (known) return;
    // Make room: the oldest committed replies not already evicted by this transaction go first.
    let held = this.order.length - plan.evicted.length + plan.fresh;
    for (let i = 0; held >= this.capacity && i < this.order.length; i++) {
      const victim = this.order[i].mid;
      if (plan.evicted.includes(victim) || plan.added.some((e) => e.mid === victim)) continue;
      tx.delete(this.id, this.scratch.key, 0, this.encodeKey(victim));
      plan.evicted.push(victim);
      held--;
    }
    plan.fresh++;
  }

  /** Apply a committed plan to the RAM order. */
  committed(plan: ReplyPlan): void {
    if (plan.added.length === 0) return;
    this.order = this.order.filter((e) => !plan.evicted.includes(e.mid) && !plan.added.some((a) => a.mid === e.mid));
    for (const entry of plan.added) {
      this.order = this.order.filter((e) => e.mid !== entry.mid);
      this.order.push(entry);
    }
    this.nextSeq += plan.added.length;
    this.evictions += plan.evicted.length;
  }
}

/** What a transaction does to the replies (RAM side, applied after the commit). */
export interface ReplyPlan {
  added: { mid: string; seq: number }[];
  evicted: string[];
  /** New mids added by this transaction (not replacing a stored or staged one). */
  fresh: number;
}

function readU32(buf: Uint8Array, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}
