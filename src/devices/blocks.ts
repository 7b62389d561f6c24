/**
 * Register blocks a driver polls, as data, and the poller that reads them: one preallocated transaction for all
 * blocks, fast blocks every cycle, slow blocks one per cycle in turn, init blocks until each has been read once.
 */
import { ModbusTransaction, TxStatus, type ModbusListener, type ModbusTransport } from "../modbus/transaction";
import { newFloatScratch, pointWords, pow10, readPoint, type PointType } from "./points";
import { columns } from "../core/columns";

export interface BlockDef {
  readonly fc: 3 | 4;
  readonly address: number;
  readonly count: number;
  /** "cycle": every control cycle (default); "slow": one slow block per cycle, in turn; "init": until read once. */
  readonly when?: "cycle" | "slow" | "init";
}

/** A value inside a block: raw value x scale gives SI units (W, V, A, kWh, %). */
export interface PointRef {
  readonly block: number;
  readonly offset: number;
  readonly type: PointType;
  readonly scale: number;
  /** SunSpec: another point holding the power-of-ten scale factor (sunssf), applied on top of `scale`. */
  readonly sf?: PointRef;
}

/** Block flags in BlockPoller's blockState (SLOW and INIT copied from the map once: no string compare per cycle). */
const VALID = 1;
const DUE = 2;
const SLOW = 4;
const INIT = 8;

/** Told when every read a cycle started has finished (answered or failed). */
export interface PollListener {
  onPollDone(poller: BlockPoller): void;
  /** Told as each block's read finishes, before the cycle's next block is sent (a meter decides on its power block). */
  onBlockRead?(poller: BlockPoller, index: number, ok: boolean): void;
}

/**
 * Reads a device's register blocks one after another through a single transaction, and keeps every block's
 * registers in one buffer. One request at a time is all an RTU bus or a Modbus TCP connection carries anyway, so
 * chaining loses no bus time, and a device costs one transaction and one buffer however many blocks its map has
 * (on the ESP32 each transaction with its buffer is about 17 heap slots).
 */
export class BlockPoller implements ModbusListener {
  /** The one read transaction, reused for every block; it reads each block straight into `registers`. */
  readonly tx: ModbusTransaction;
  /** Every block's registers, block `i` at offset(i). */
  readonly registers: Uint16Array;
  /**
   * Per block, in one array (each typed array is about 7 XS slots, and a site has a poller per device): [0, n) the
   * block's offset in `registers`, [n, 2n) its flags (VALID: read at least once; DUE: still to be read this cycle).
   */
  private readonly blockState: Uint16Array;
  /** Monotonic ms of each block's last good read, at [0, blocks.length); the owner's extra numbers after them. */
  readonly okAtMs: Float64Array;
  /** Where the owner's extra registers start in `registers` (after every block's). */
  readonly extraAt: number;
  /** Reads of the current cycle not finished yet (a hold of 1 while submitting). */
  outstanding = 0;
  /** Reads answered Ok in the current cycle / failed. */
  cycleOk = 0;
  cycleFailed = 0;
  /** Cycles whose every read failed, in a row (a silent device). */
  silentCycles = 0;
  private slowCursor = 0;
  private readonly slowCount: number;
  /** True while `pump` runs: a transport that completes inside submit must not start a nested pump. */
  private pumping = false;

  /**
   * `floatScratch` (points.ts newFloatScratch): float conversion scratch, shared by every driver of a control loop
   * (conversions never overlap: they run to completion in one callback) and by the device's commands.
   */
  constructor(
    readonly blocks: readonly BlockDef[],
    readonly unit: number,
    private transport: ModbusTransport,
    private readonly listener: PollListener,
    readonly floatScratch: DataView = newFloatScratch(),
    extraNumbers = 0,
    extraRegisters = 0,
  ) {
    let slow = 0;
    let total = 0;
    const n = blocks.length;
    for (let i = 0; i < n; i++) {
      total += blocks[i].count;
      if (blocks[i].when === "slow") slow++;
    }
    // The three columns in one buffer (src/core/columns.ts: ~3 XS slots less per column). The owner may ask for
    // `extraNumbers` after the blocks' times and `extraRegisters` after their registers (its own state and its
    // command's registers: elements of an existing typed array cost no XS slots, fields and arrays do).
    const cols = columns([["f64", n + extraNumbers], ["u16", 2 * n], ["u16", total + extraRegisters]]);
    this.okAtMs = (cols[0] as Float64Array).fill(-Infinity);
    this.extraAt = total;
    this.blockState = cols[1] as Uint16Array;
    this.registers = cols[2] as Uint16Array;
    let offset = 0;
    for (let i = 0; i < n; i++) {
      this.blockState[i] = offset;
      offset += blocks[i].count;
      const when = blocks[i].when;
      this.blockState[n + i] = when === "slow" ? SLOW : when === "init" ? INIT : 0;
    }
    this.tx = new ModbusTransaction(this.registers, this);
    this.slowCount = slow;
  }

  /** Where block `index` starts in `registers`. */
  offset(index: number): number {
    return this.blockState[index];
  }

  /** Whether block `index` holds a value read at least once (init and slow blocks, scale factors). */
  isValid(index: number): boolean {
    return (this.blockState[this.blocks.length + index] & VALID) !== 0;
  }

  /** Switch to another transport (reconfiguration); only between cycles. */
  setTransport(transport: ModbusTransport): void {
    this.transport = transport;
  }

  /** True while reads of the previous cycle are still on the bus. */
  get busy(): boolean {
    return this.outstanding > 0;
  }

  /**
   * Pick this cycle's reads and start the first; returns how many are due. When it returns more than 0 the listener
   * is called exactly once, after the last of them finished (possibly before this returns, if a transport fails at
   * once).
   */
  startCycle(): number {
    this.cycleOk = 0;
    this.cycleFailed = 0;
    let due = 0;
    let slowPicked = false;
    let slowSeen = 0;
    const state = this.blockState;
    const n = this.blocks.length;
    const silent = this.silentCycles > 0;
    for (let i = n; i < 2 * n; i++) {
      let flags = state[i] & ~DUE;
      if ((flags & SLOW) !== 0) slowSeen++;
      // Init blocks until read once; a device that did not answer last cycle is only probed with its fast blocks
      // (timeouts cost bus time); one slow block per cycle, in turn.
      const wanted =
        (flags & (SLOW | INIT)) === 0
          ? true
          : silent
            ? false
            : (flags & INIT) !== 0
              ? (flags & VALID) === 0
              : !slowPicked && slowSeen - 1 === this.slowCursor;
      if (wanted) {
        if ((flags & SLOW) !== 0) slowPicked = true;
        flags |= DUE;
        due++;
      }
      state[i] = flags;
    }
    if (this.slowCount > 0) this.slowCursor = (this.slowCursor + 1) % this.slowCount;
    if (due === 0) return 0;
    this.outstanding = due;
    this.pump();
    return due;
  }

  onModbusDone(tx: ModbusTransaction): void {
    const index = tx.tag;
    if (tx.status === TxStatus.Ok) {
      // The transport decoded the values into their place in `registers` (tx.base).
      this.blockState[this.blocks.length + index] |= VALID;
      this.okAtMs[index] = tx.doneAtMs;
      this.cycleOk++;
    } else {
      this.cycleFailed++;
    }
    this.listener.onBlockRead?.(this, index, tx.status === TxStatus.Ok);
    this.finishOne();
  }

  /**
   * Submit the next due block; a refused submit counts as a failed read and moves on. A loop, not recursion: a
   * transport that completes synchronously re-enters through onModbusDone, which only counts while pumping.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const blocks = this.blocks;
    const state = this.blockState;
    const n = blocks.length;
    const tx = this.tx;
    while (this.outstanding > 0 && !tx.busy) {
      let next = -1;
      for (let i = 0; i < n; i++) {
        if ((state[n + i] & DUE) !== 0) {
          next = i;
          break;
        }
      }
      if (next < 0) break;
      state[n + next] &= ~DUE;
      const block = blocks[next];
      tx.setRead(this.unit, block.fc, block.address, block.count);
      tx.base = state[next];
      tx.tag = next;
      if (!this.transport.submit(tx)) {
        this.cycleFailed++;
        this.finishOne();
      }
    }
    this.pumping = false;
  }

  private finishOne(): void {
    this.outstanding--;
    if (this.outstanding === 0) {
      this.silentCycles = this.cycleOk === 0 ? this.silentCycles + 1 : 0;
      this.listener.onPollDone(this);
    } else {
      this.pump();
    }
  }

  /** Raw x scale (x 10^sf) of a point, or NaN when its block (or scale factor) was never read. */
  value(point: PointRef): number {
    const state = this.blockState;
    const block = point.block;
    if ((state[this.blocks.length + block] & VALID) === 0) return NaN;
    let value = readPoint(this.registers, state[block] + point.offset, point.type, this.floatScratch) * point.scale;
    if (point.sf) {
      const sf = this.value(point.sf);
      value = sf !== sf ? NaN : value * pow10(sf);
    }
    return value;
  }

  /** Did block `index` get a good answer in the cycle that just finished? */
  freshIn(index: number, sinceMs: number): boolean {
    return this.okAtMs[index] >= sinceMs;
  }
}

/** Check that every point lies inside its block; returns the problem or null (run on map data in tests). */
export function pointProblem(blocks: readonly BlockDef[], point: PointRef, name: string): string | null {
  const block = blocks[point.block];
  if (!block) return `${name}: block ${point.block} does not exist`;
  if (point.offset < 0 || point.offset + pointWords(point.type) > block.count) return `${name}: offset ${point.offset} outside its block`;
  if (point.sf) return pointProblem(blocks, point.sf, `${name}.sf`);
  return null;
}
