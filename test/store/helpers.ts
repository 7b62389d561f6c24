/** Shared test machinery for the store: a flash probe that sees every mutation, state dumps, a model, a workload. */
import type { NorFlash } from "../../hal/types";
import { SeededRandom } from "../../hal/sim/random";
import type { SimNorFlash } from "../../hal/sim/flash";
import { isStoreError } from "../../src/store/errors";
import type { RecordStore } from "../../src/store/record-store";

/** A NorFlash that forwards to a SimNorFlash and calls `beforeMutation` before each program/erase. */
export class ProbeFlash implements NorFlash {
  beforeMutation: ((op: FlashOp) => void) | null = null;

  constructor(readonly chip: SimNorFlash) {}

  get sectorSize(): number {
    return this.chip.sectorSize;
  }

  get sectorCount(): number {
    return this.chip.sectorCount;
  }

  read(offset: number, into: Uint8Array, intoOffset: number, length: number): void {
    this.chip.read(offset, into, intoOffset, length);
  }

  program(offset: number, data: Uint8Array, dataOffset: number, length: number): void {
    if (this.beforeMutation) this.beforeMutation({ kind: "program", offset, data: data.slice(dataOffset, dataOffset + length), sector: -1 });
    this.chip.program(offset, data, dataOffset, length);
  }

  eraseSector(sector: number): void {
    if (this.beforeMutation) this.beforeMutation({ kind: "erase", offset: 0, data: new Uint8Array(0), sector });
    this.chip.eraseSector(sector);
  }
}

export interface FlashOp {
  kind: "program" | "erase";
  offset: number;
  data: Uint8Array;
  sector: number;
}

/** Replay `op` on `chip` (scheduled to tear). */
export function replay(chip: SimNorFlash, op: FlashOp): void {
  if (op.kind === "program") chip.program(op.offset, op.data, 0, op.data.length);
  else chip.eraseSector(op.sector);
}

/** Model state: "collection/hexkey" -> hex value. */
export type Model = Map<string, string>;

export function hex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, length).toString("hex");
}

/** Every record of the given collections, as a model. */
export function dump(store: RecordStore, collections: readonly number[]): Model {
  const out: Model = new Map();
  const value = new Uint8Array(4096);
  for (const c of collections) {
    const keys: Uint8Array[] = [];
    store.forEachKey(c, (key, length) => keys.push(key.slice(0, length)));
    for (const key of keys) {
      const length = store.get(c, key, 0, key.length, value, 0);
      out.set(`${c}/${hex(key)}`, hex(value, 0, length));
    }
  }
  return out;
}

export function sameModel(a: Model, b: Model): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

export function describeDiff(actual: Model, expected: Model): string {
  const lines: string[] = [];
  for (const [k, v] of expected) if (actual.get(k) !== v) lines.push(`${k}: expected ${v.slice(0, 16)}.. got ${actual.get(k)?.slice(0, 16) ?? "absent"}`);
  for (const k of actual.keys()) if (!expected.has(k)) lines.push(`${k}: unexpected`);
  return lines.slice(0, 6).join("; ");
}

/** One staged operation of a workload step. */
export type Op = { kind: "put"; c: number; key: Uint8Array; value: Uint8Array } | { kind: "del"; c: number; key: Uint8Array } | { kind: "clear"; c: number };

export function applyOps(model: Model, ops: readonly Op[]): Model {
  const next = new Map(model);
  for (const op of ops) {
    if (op.kind === "clear") {
      for (const k of [...next.keys()]) if (k.startsWith(`${op.c}/`)) next.delete(k);
    } else if (op.kind === "del") next.delete(`${op.c}/${hex(op.key)}`);
    else next.set(`${op.c}/${hex(op.key)}`, hex(op.value));
  }
  return next;
}

/** Run a step as one transaction. Returns true if committed, false if refused (StoreError other than failures). */
export function runOps(store: RecordStore, ops: readonly Op[]): boolean {
  try {
    store.transaction((tx) => {
      for (const op of ops) {
        if (op.kind === "put") tx.put(op.c, op.key, 0, op.key.length, op.value, 0, op.value.length);
        else if (op.kind === "del") tx.delete(op.c, op.key, 0, op.key.length);
        else tx.clear(op.c);
      }
    });
    return true;
  } catch (error) {
    if (isStoreError(error, "STORE_FULL") || isStoreError(error, "COLLECTION_FULL") || isStoreError(error, "TX_TOO_LARGE")) return false;
    throw error;
  }
}

export interface WorkloadShape {
  /** Collection id -> how many distinct keys the workload uses in it. */
  keySpace: Record<number, number>;
  maxValue: number;
  maxOps: number;
  /** Percent of steps that clear a collection and refill part of it (default 8). */
  clearPercent?: number;
}

/** A seeded generator of steps: single puts and deletes, multi-record transactions, clear-and-refill. */
export class Workload {
  readonly random: SeededRandom;
  private readonly collections: number[];

  constructor(
    seed: number,
    readonly shape: WorkloadShape,
  ) {
    this.random = new SeededRandom(seed);
    this.collections = Object.keys(shape.keySpace).map(Number);
  }

  step(): Op[] {
    const r = this.random.nextInt(100);
    if (r < 45) return [this.put()];
    if (r < 60) return [this.del()];
    if (r < 100 - (this.shape.clearPercent ?? 8)) {
      const n = 2 + this.random.nextInt(this.shape.maxOps - 1);
      const ops: Op[] = [];
      for (let i = 0; i < n; i++) ops.push(this.random.nextInt(4) === 0 ? this.del() : this.put());
      return ops;
    }
    const c = this.pick();
    const ops: Op[] = [{ kind: "clear", c }];
    const n = this.random.nextInt(Math.min(this.shape.maxOps, this.shape.keySpace[c]));
    for (let i = 0; i < n; i++) ops.push(this.put(c));
    return ops;
  }

  private pick(): number {
    return this.collections[this.random.nextInt(this.collections.length)];
  }

  private key(c: number): Uint8Array {
    const n = this.random.nextInt(this.shape.keySpace[c]);
    // Keys of different lengths, some sharing prefixes.
    return n % 3 === 0 ? Uint8Array.of(n) : n % 3 === 1 ? Uint8Array.of(0x6b, n, 7) : Uint8Array.of(0x6b, n, 7, 1, 2, 3, 4);
  }

  put(c = this.pick()): Op {
    const length = this.random.nextInt(this.shape.maxValue + 1);
    const value = new Uint8Array(length);
    this.random.fill(value, 0, length);
    return { kind: "put", c, key: this.key(c), value };
  }

  del(c = this.pick()): Op {
    return { kind: "del", c, key: this.key(c) };
  }
}
