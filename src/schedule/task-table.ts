/**
 * The scheduler's task table: one slot per task, struct-of-arrays in typed arrays (a few hundred tasks must fit the
 * device's JavaScript budget; an object per task would cost ~30 heap slots each).
 *
 * Memory is taken for tasks that exist, never for the worst case up front: the per-slot arrays are views over one
 * backing store that grows SLOT_STEP slots at a time, a task's cron words and trigger nodes take only what it uses
 * from two pools, and nothing is ever given back, so the table keeps its high-water mark. Every growth is bounded
 * by `capacity` (config limits.maxTasks) and `triggerCapacity`, which commands check before they change anything;
 * a table that was full once costs what an eager one would, and no sequence of commands makes it grow further. The
 * pools are compacted when a task leaves, so their used parts stay contiguous.
 *
 * Value ranges behind the narrow types:
 * - priority: 0 .. 1,000,000 (task.ts MAX_PRIORITY) in an Int32Array.
 * - startTime, endTime: 0 (none) or whole Unix seconds up to MAX_TIMESTAMP (7,258,118,400, year 2200), which needs
 *   33 bits: the low 32 bits in a Uint32Array, bit 32 in the slot flags (SLOT_START_HI, SLOT_END_HI).
 * - fire: Float64 (Infinity / -Infinity sentinels, instants up to MAX_YEAR).
 * - word and trigger pool offsets: Uint16 when the pools can never pass 65,535 entries (capacity <= 2,978 tasks and
 *   triggerCapacity <= 65,535), else Uint32. A trigger task has at most MAX_TRIGGER_NODES (32) nodes: Uint8.
 */
import { invariant } from "../core/assert";
import { CRON_WORDS, cronWordsUsed, DAY_FILTER_WORDS, W_FLAGS } from "./cron";
import { KIND_SUNRISE, KIND_SUNSET, KIND_TRIGGER, type CompiledTask } from "./task";

export const SLOT_USED = 1;
export const SLOT_ENABLED = 2;
export const SLOT_ONCE = 4;
export const SLOT_FOLLOW_DST = 8;
/** Trigger tasks: the condition's value at the last evaluation (for the rising edge). */
export const SLOT_CONDITION = 16;
/** Bit 32 of startTime / endTime (see the value ranges above). */
export const SLOT_START_HI = 32;
export const SLOT_END_HI = 64;

/** Sunrise/sunset tasks keep their offset (seconds) in the word after their day filter. */
export const SUN_OFFSET_WORD = DAY_FILTER_WORDS;

/** Per-slot arrays grow by this many slots: at most capacity / SLOT_STEP reallocations in a table's life. */
const SLOT_STEP = 8;
/** The word pool grows by at least this many words (a few tasks' worth). */
const WORD_STEP = 64;
/** The trigger pool grows by at least this many nodes. */
const NODE_STEP = 32;
const TWO_POW_32 = 4294967296;

type Index = Uint16Array | Uint32Array;

/** Words a compiled task keeps in the pool: its day filter (trigger), plus its offset (sun), or its cron prefix. */
export function wordsOf(kind: number, flags: number): number {
  if (kind === KIND_TRIGGER) return DAY_FILTER_WORDS;
  if (kind === KIND_SUNRISE || kind === KIND_SUNSET) return DAY_FILTER_WORDS + 1;
  return cronWordsUsed(flags);
}

/** The next size of a growing array: `needed` rounded up to `step`, at most `bound`. */
function grownSize(needed: number, step: number, bound: number): number {
  const size = Math.ceil(needed / step) * step;
  return size < bound ? size : bound;
}

export class TaskTable {
  /** Task id per slot (null: free); as long as `slots`. */
  ids: (string | null)[] = [];
  /** Slots allocated so far: every per-slot array has this length; loops over the table stop here. */
  slots = 0;
  /** SLOT_* bits. */
  flags!: Uint8Array;
  kind!: Uint8Array;
  priority!: Int32Array;
  /** Low 32 bits of startTime (see startTime()); 0 = effective immediately. */
  startLow!: Uint32Array;
  /** Low 32 bits of endTime (see endTime()); 0 = never expires. */
  endLow!: Uint32Array;
  /**
   * Timed tasks: UTC seconds of the next planned fire, Infinity when none. Trigger tasks, which are never planned:
   * UTC seconds of the last fire (wall clock at the time), -Infinity when none. A timed task never needs its last
   * fire, nor a trigger a next one, so one array holds both.
   */
  fire!: Float64Array;
  /** Where the slot's words start in `words`. */
  wordStart!: Index;
  triggerStart!: Index;
  triggerLength!: Uint8Array;
  /** Scratch for the scheduler: the slots of enabled trigger tasks (sized with the table). */
  triggerList!: Uint16Array;
  /** Pool of cron words (cron.ts layout), `wordsUsed` of them in use. */
  words!: Int32Array;
  wordsUsed = 0;
  /** Pool of trigger nodes (trigger.ts: op words and operands), `triggerUsed` in use. */
  triggerOps!: Int32Array;
  triggerValues!: Float64Array;
  triggerUsed = 0;
  count = 0;
  private readonly wideIndex: boolean;

  constructor(
    readonly capacity: number,
    readonly triggerCapacity: number,
  ) {
    invariant(capacity <= 0xffff, "TaskTable: capacity beyond the Uint16 slot list");
    this.wideIndex = capacity * CRON_WORDS > 0xffff || triggerCapacity > 0xffff;
  }

  find(taskId: string): number {
    return this.ids.indexOf(taskId);
  }

  /** Trigger words a task would take (0 for timed tasks). */
  static triggerWords(task: CompiledTask): number {
    return task.trigger ? task.trigger.length : 0;
  }

  startTime(slot: number): number {
    return this.startLow[slot] + (this.flags[slot] & SLOT_START_HI ? TWO_POW_32 : 0);
  }

  endTime(slot: number): number {
    return this.endLow[slot] + (this.flags[slot] & SLOT_END_HI ? TWO_POW_32 : 0);
  }

  /** Next planned fire of a slot (UTC seconds), Infinity for a free slot and for trigger tasks. */
  nextFire(slot: number): number {
    return slot < 0 || slot >= this.slots || this.ids[slot] === null || this.kind[slot] === KIND_TRIGGER ? Infinity : this.fire[slot];
  }

  /**
   * Make room for `slots` tasks holding `words` cron words and `nodes` trigger nodes in all (each within its bound),
   * so a command installing many tasks grows each array once. put() calls it for its own task too.
   */
  reserve(slots: number, words: number, nodes: number): void {
    if (slots > this.slots && this.slots < this.capacity) this.growSlots(grownSize(slots, SLOT_STEP, this.capacity));
    const wordCapacity = this.words === undefined ? 0 : this.words.length;
    if (words > wordCapacity) {
      const grown = new Int32Array(grownSize(Math.max(words, wordCapacity + WORD_STEP), 1, this.capacity * CRON_WORDS));
      if (this.wordsUsed > 0) grown.set(this.words.subarray(0, this.wordsUsed));
      this.words = grown;
    }
    const nodeCapacity = this.triggerOps === undefined ? 0 : this.triggerOps.length;
    if (nodes > nodeCapacity) {
      const size = grownSize(Math.max(nodes, nodeCapacity + NODE_STEP), 1, this.triggerCapacity);
      const ops = new Int32Array(size);
      const values = new Float64Array(size);
      if (this.triggerUsed > 0) {
        ops.set(this.triggerOps.subarray(0, this.triggerUsed));
        values.set(this.triggerValues.subarray(0, this.triggerUsed));
      }
      this.triggerOps = ops;
      this.triggerValues = values;
    }
  }

  /** reserve() for adding `tasks` to what the table holds (SET after clear(), ADD). */
  reserveFor(tasks: readonly CompiledTask[]): void {
    let words = 0;
    let nodes = 0;
    for (const task of tasks) {
      words += wordsOf(task.kind, task.words[W_FLAGS]);
      nodes += TaskTable.triggerWords(task);
    }
    this.reserveForCounts(tasks.length, words, nodes);
  }

  /** reserveFor from a batch's totals (TaskBatch): `tasks` more tasks taking `words` pool words and `nodes` trigger nodes. */
  reserveForCounts(tasks: number, words: number, nodes: number): void {
    this.reserve(
      Math.min(this.count + tasks, this.capacity),
      Math.min(this.wordsUsed + words, this.capacity * CRON_WORDS),
      Math.min(this.triggerUsed + nodes, this.triggerCapacity),
    );
  }

  /** Reallocate the per-slot arrays for `size` slots as views over one new backing store; contents are kept. */
  private growSlots(size: number): void {
    const indexBytes = this.wideIndex ? 4 : 2;
    // Widest elements first, so every view starts aligned.
    const buffer = new ArrayBuffer(size * (8 + 4 + 4 + 4 + 2 * indexBytes + 2 + 1 + 1 + 1));
    let at = 0;
    const fire = new Float64Array(buffer, at, size);
    at += 8 * size;
    const priority = new Int32Array(buffer, at, size);
    at += 4 * size;
    const startLow = new Uint32Array(buffer, at, size);
    at += 4 * size;
    const endLow = new Uint32Array(buffer, at, size);
    at += 4 * size;
    const wordStart = this.wideIndex ? new Uint32Array(buffer, at, size) : new Uint16Array(buffer, at, size);
    at += indexBytes * size;
    const triggerStart = this.wideIndex ? new Uint32Array(buffer, at, size) : new Uint16Array(buffer, at, size);
    at += indexBytes * size;
    const triggerList = new Uint16Array(buffer, at, size);
    at += 2 * size;
    const flags = new Uint8Array(buffer, at, size);
    at += size;
    const kind = new Uint8Array(buffer, at, size);
    at += size;
    const triggerLength = new Uint8Array(buffer, at, size);
    const old = this.slots;
    if (old > 0) {
      fire.set(this.fire);
      priority.set(this.priority);
      startLow.set(this.startLow);
      endLow.set(this.endLow);
      wordStart.set(this.wordStart);
      triggerStart.set(this.triggerStart);
      triggerList.set(this.triggerList);
      flags.set(this.flags);
      kind.set(this.kind);
      triggerLength.set(this.triggerLength);
    }
    fire.fill(Infinity, old);
    this.fire = fire;
    this.priority = priority;
    this.startLow = startLow;
    this.endLow = endLow;
    this.wordStart = wordStart;
    this.triggerStart = triggerStart;
    this.triggerList = triggerList;
    this.flags = flags;
    this.kind = kind;
    this.triggerLength = triggerLength;
    // Made at its size (an array grown by push may keep spare capacity for the table's life).
    const ids = new Array<string | null>(size).fill(null);
    for (let slot = 0; slot < old; slot++) ids[slot] = this.ids[slot];
    this.ids = ids;
    this.slots = size;
  }

  /** Store `task` in its existing slot (same taskId) or a free one; the caller checked capacity. Returns the slot. */
  put(task: CompiledTask): number {
    let slot = this.find(task.taskId);
    if (slot >= 0) this.remove(slot);
    const nodes = TaskTable.triggerWords(task);
    invariant(this.triggerUsed + nodes <= this.triggerCapacity, "TaskTable.put: trigger pool full (not checked)");
    const length = wordsOf(task.kind, task.words[W_FLAGS]);
    slot = this.ids.indexOf(null);
    this.reserve(slot < 0 ? this.slots + 1 : 0, this.wordsUsed + length, this.triggerUsed + nodes);
    if (slot < 0) slot = this.ids.indexOf(null);
    invariant(slot >= 0, "TaskTable.put: no free slot (capacity not checked)");
    this.ids[slot] = task.taskId;
    const start = task.startTime;
    const end = task.endTime;
    this.flags[slot] =
      SLOT_USED |
      (task.enable ? SLOT_ENABLED : 0) |
      (task.once ? SLOT_ONCE : 0) |
      (task.followDst ? SLOT_FOLLOW_DST : 0) |
      (start >= TWO_POW_32 ? SLOT_START_HI : 0) |
      (end >= TWO_POW_32 ? SLOT_END_HI : 0);
    this.kind[slot] = task.kind;
    this.priority[slot] = task.priority;
    this.startLow[slot] = start % TWO_POW_32;
    this.endLow[slot] = end % TWO_POW_32;
    this.fire[slot] = task.kind === KIND_TRIGGER ? -Infinity : Infinity;
    const at = this.wordsUsed;
    this.wordStart[slot] = at;
    this.words.set(task.words.subarray(0, length), at);
    if (task.kind === KIND_SUNRISE || task.kind === KIND_SUNSET) this.words[at + SUN_OFFSET_WORD] = task.sunOffset;
    this.wordsUsed += length;
    this.triggerStart[slot] = this.triggerUsed;
    this.triggerLength[slot] = nodes;
    if (task.trigger) {
      this.triggerOps.set(task.trigger.ops.subarray(0, nodes), this.triggerUsed);
      this.triggerValues.set(task.trigger.values.subarray(0, nodes), this.triggerUsed);
      this.triggerUsed += nodes;
    }
    this.count++;
    return slot;
  }

  remove(slot: number): void {
    if (slot >= this.slots || this.ids[slot] === null) return;
    // Close the holes so free space stays contiguous at the end of each pool.
    const wordAt = this.wordStart[slot];
    const wordLength = wordsOf(this.kind[slot], this.words[wordAt + W_FLAGS]);
    this.words.copyWithin(wordAt, wordAt + wordLength, this.wordsUsed);
    this.wordsUsed -= wordLength;
    const start = this.triggerStart[slot];
    const length = this.triggerLength[slot];
    if (length > 0) {
      this.triggerOps.copyWithin(start, start + length, this.triggerUsed);
      this.triggerValues.copyWithin(start, start + length, this.triggerUsed);
      this.triggerUsed -= length;
    }
    this.ids[slot] = null;
    this.flags[slot] = 0;
    this.triggerLength[slot] = 0;
    this.fire[slot] = Infinity;
    for (let other = 0; other < this.slots; other++) {
      if (this.ids[other] === null) continue;
      if (this.wordStart[other] > wordAt) this.wordStart[other] -= wordLength;
      if (length > 0 && this.triggerLength[other] > 0 && this.triggerStart[other] > start) this.triggerStart[other] -= length;
    }
    this.count--;
  }

  clear(): void {
    for (let slot = 0; slot < this.slots; slot++) {
      this.ids[slot] = null;
      this.flags[slot] = 0;
      this.triggerLength[slot] = 0;
      this.fire[slot] = Infinity;
    }
    this.wordsUsed = 0;
    this.triggerUsed = 0;
    this.count = 0;
  }
}
