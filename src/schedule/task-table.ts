/**
 * The scheduler's fixed task table: one slot per task, struct-of-arrays in typed arrays allocated at boot (a few
 * hundred tasks must fit the device's JavaScript budget; an object per task would cost ~30 heap slots each).
 * Trigger conditions live in one shared pool of op/operand words, compacted when a task leaves.
 */
import { invariant } from "../core/assert";
import { CRON_WORDS } from "./cron";
import type { CompiledTask } from "./task";

export const SLOT_USED = 1;
export const SLOT_ENABLED = 2;
export const SLOT_ONCE = 4;
export const SLOT_FOLLOW_DST = 8;
/** Trigger tasks: the condition's value at the last evaluation (for the rising edge). */
export const SLOT_CONDITION = 16;

export class TaskTable {
  readonly ids: (string | null)[];
  readonly flags: Uint8Array;
  readonly kind: Uint8Array;
  readonly priority: Float64Array;
  readonly sunOffset: Int32Array;
  readonly startTime: Float64Array;
  /** 0 = never expires. */
  readonly endTime: Float64Array;
  /** UTC seconds of the next planned fire; Infinity when none. */
  readonly nextFire: Float64Array;
  /** UTC seconds of the last fire (wall clock at the time); -Infinity when none. */
  readonly lastFire: Float64Array;
  readonly words: Int32Array;
  readonly triggerStart: Int32Array;
  readonly triggerLength: Int32Array;
  readonly triggerOps: Int32Array;
  readonly triggerValues: Float64Array;
  triggerUsed = 0;
  count = 0;

  constructor(
    readonly capacity: number,
    readonly triggerCapacity: number,
  ) {
    this.ids = new Array<string | null>(capacity).fill(null);
    this.flags = new Uint8Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.priority = new Float64Array(capacity);
    this.sunOffset = new Int32Array(capacity);
    this.startTime = new Float64Array(capacity);
    this.endTime = new Float64Array(capacity);
    this.nextFire = new Float64Array(capacity).fill(Infinity);
    this.lastFire = new Float64Array(capacity).fill(-Infinity);
    this.words = new Int32Array(capacity * CRON_WORDS);
    this.triggerStart = new Int32Array(capacity);
    this.triggerLength = new Int32Array(capacity);
    this.triggerOps = new Int32Array(triggerCapacity);
    this.triggerValues = new Float64Array(triggerCapacity);
  }

  find(taskId: string): number {
    const ids = this.ids;
    for (let slot = 0; slot < ids.length; slot++) if (ids[slot] === taskId) return slot;
    return -1;
  }

  /** Trigger words a task would take (0 for timed tasks). */
  static triggerWords(task: CompiledTask): number {
    return task.trigger ? task.trigger.length : 0;
  }

  /** Store `task` in its existing slot (same taskId) or a free one; the caller checked capacity. Returns the slot. */
  put(task: CompiledTask): number {
    let slot = this.find(task.taskId);
    if (slot >= 0) this.remove(slot);
    slot = this.ids.indexOf(null);
    invariant(slot >= 0, "TaskTable.put: no free slot (capacity not checked)");
    const words = TaskTable.triggerWords(task);
    invariant(this.triggerUsed + words <= this.triggerCapacity, "TaskTable.put: trigger pool full (not checked)");
    this.ids[slot] = task.taskId;
    this.flags[slot] = SLOT_USED | (task.enable ? SLOT_ENABLED : 0) | (task.once ? SLOT_ONCE : 0) | (task.followDst ? SLOT_FOLLOW_DST : 0);
    this.kind[slot] = task.kind;
    this.priority[slot] = task.priority;
    this.sunOffset[slot] = task.sunOffset;
    this.startTime[slot] = task.startTime;
    this.endTime[slot] = task.endTime;
    this.nextFire[slot] = Infinity;
    this.lastFire[slot] = -Infinity;
    this.words.set(task.words, slot * CRON_WORDS);
    this.triggerStart[slot] = this.triggerUsed;
    this.triggerLength[slot] = words;
    if (task.trigger) {
      this.triggerOps.set(task.trigger.ops.subarray(0, words), this.triggerUsed);
      this.triggerValues.set(task.trigger.values.subarray(0, words), this.triggerUsed);
      this.triggerUsed += words;
    }
    this.count++;
    return slot;
  }

  remove(slot: number): void {
    if (this.ids[slot] === null) return;
    const start = this.triggerStart[slot];
    const length = this.triggerLength[slot];
    if (length > 0) {
      // Close the hole so free space stays contiguous at the end of the pool.
      this.triggerOps.copyWithin(start, start + length, this.triggerUsed);
      this.triggerValues.copyWithin(start, start + length, this.triggerUsed);
      this.triggerUsed -= length;
      for (let other = 0; other < this.capacity; other++) if (this.triggerLength[other] > 0 && this.triggerStart[other] > start) this.triggerStart[other] -= length;
    }
    this.ids[slot] = null;
    this.flags[slot] = 0;
    this.triggerLength[slot] = 0;
    this.nextFire[slot] = Infinity;
    this.count--;
  }

  clear(): void {
    for (let slot = 0; slot < this.capacity; slot++) this.remove(slot);
    this.triggerUsed = 0;
  }
}
