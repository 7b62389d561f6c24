/**
 * Register blocks a driver polls, as data, and the poller that reads them: one preallocated transaction per block,
 * fast blocks every cycle, slow blocks one per cycle in turn, init blocks until each has been read once.
 */
import { ModbusTransaction, TxStatus, type ModbusListener, type ModbusTransport } from "../modbus/transaction";
import { newFloatScratch, pointWords, pow10, readPoint, type PointType } from "./points";

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

/** Told when every read a cycle started has finished (answered or failed). */
export interface PollListener {
  onPollDone(poller: BlockPoller): void;
}

export class BlockPoller implements ModbusListener {
  readonly txs: ModbusTransaction[];
  /** Whether each block holds a value read at least once (for init and slow blocks). */
  readonly valid: Uint8Array;
  /** Monotonic ms of each block's last good read. */
  readonly okAtMs: Float64Array;
  /** Reads of the current cycle not finished yet. */
  outstanding = 0;
  /** Reads answered Ok in the current cycle / failed. */
  cycleOk = 0;
  cycleFailed = 0;
  /** Cycles whose every read failed, in a row (a silent device). */
  silentCycles = 0;
  private slowCursor = 0;
  private readonly slowCount: number;
  /** Float conversion scratch of this device's points (its DeviceDriver's commands use it too). */
  readonly floatScratch = newFloatScratch();

  constructor(
    readonly blocks: readonly BlockDef[],
    readonly unit: number,
    private transport: ModbusTransport,
    private readonly listener: PollListener,
  ) {
    this.txs = [];
    let slow = 0;
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i];
      const tx = new ModbusTransaction(block.count, this);
      tx.setRead(unit, block.fc, block.address, block.count);
      tx.tag = i;
      this.txs.push(tx);
      if (block.when === "slow") slow++;
    }
    this.slowCount = slow;
    this.valid = new Uint8Array(blocks.length);
    this.okAtMs = new Float64Array(blocks.length).fill(-Infinity);
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
   * Submit this cycle's reads; returns how many were queued. When it returns more than 0 the listener is called
   * exactly once, after the last of them finished (possibly before this returns, if a transport fails at once).
   */
  startCycle(): number {
    this.outstanding = 1; // held until every submit is done, so a synchronous completion cannot finish the cycle early
    this.cycleOk = 0;
    this.cycleFailed = 0;
    let submitted = 0;
    let slowPicked = false;
    const blocks = this.blocks;
    for (let i = 0; i < blocks.length; i++) {
      const when = blocks[i].when ?? "cycle";
      if (when === "init" && this.valid[i]) continue;
      // A device that did not answer last cycle is only probed with its fast blocks: timeouts cost bus time.
      if (this.silentCycles > 0 && when !== "cycle") continue;
      if (when === "slow") {
        if (slowPicked || this.slowIndex(i) !== this.slowCursor) continue;
        slowPicked = true;
      }
      this.outstanding++;
      if (this.transport.submit(this.txs[i])) {
        submitted++;
      } else {
        this.outstanding--;
        this.cycleFailed++;
      }
    }
    if (this.slowCount > 0) this.slowCursor = (this.slowCursor + 1) % this.slowCount;
    if (submitted === 0) {
      this.outstanding = 0;
      return 0;
    }
    this.release();
    return submitted;
  }

  onModbusDone(tx: ModbusTransaction): void {
    if (tx.status === TxStatus.Ok) {
      this.valid[tx.tag] = 1;
      this.okAtMs[tx.tag] = tx.doneAtMs;
      this.cycleOk++;
    } else {
      this.cycleFailed++;
    }
    this.release();
  }

  private release(): void {
    this.outstanding--;
    if (this.outstanding === 0) {
      this.silentCycles = this.cycleOk === 0 ? this.silentCycles + 1 : 0;
      this.listener.onPollDone(this);
    }
  }

  /** Raw x scale (x 10^sf) of a point, or NaN when its block (or scale factor) was never read. */
  value(point: PointRef): number {
    if (!this.valid[point.block]) return NaN;
    let value = readPoint(this.txs[point.block].registers, point.offset, point.type, this.floatScratch) * point.scale;
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

  private slowIndex(blockIndex: number): number {
    let n = 0;
    for (let i = 0; i < blockIndex; i++) if (this.blocks[i].when === "slow") n++;
    return n;
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
