/**
 * The spec-003 scheduler as a TickService: a fixed task table, the planner, the clock policies, priority and expiry,
 * trigger edges, and the runner for actions and reports.
 *
 * Clock policies (docs/schedule.md):
 * - nothing fires while the wall clock is not synced; at the first sync every task is planned from that moment;
 * - a fire found late by at most `catchUpSeconds` (60) runs once, however many fires that window held; older fires
 *   are skipped and logged (a forward clock jump, a long stall);
 * - after a backward jump of at most `backwardHoldSeconds` nothing fires twice: planned fires stay where they were
 *   and a trigger does not fire again before the clock passes its last fire; a longer backward jump means the old
 *   clock was wrong: everything is replanned from the new time.
 * Work happens once per wall-clock second; a tick within the same second returns at once. The steady-state tick
 * allocates nothing (XS test: 0 heap slots per 1000 idle ticks).
 */
import { LogLevel, type Clock, type Log } from "../../hal/types";
import type { TickService } from "../app/service";
import type { Counters } from "../core/counters";
import { civilFromDays, SECONDS_PER_DAY, weekdayFromDays, ymdDay, ymdMonth } from "../time/civil";
import { PosixTimeZone } from "../time/posix-tz";
import { SUNRISE, SUNSET } from "../time/solar";
import { SEARCH_BOUND_HIT } from "./cron";
import { nextSunFire, nextWallFire, plainDayAllowed } from "./planner";
import type { DeviceActions, PropertySource, ScheduleEventSink, TaskRepository } from "./ports";
import { TaskRunner } from "./runner";
import { KIND_CRON, KIND_SUNRISE, KIND_TIME, KIND_TRIGGER, type CompiledTask } from "./task";
import { SLOT_CONDITION, SLOT_ENABLED, SLOT_FOLLOW_DST, SLOT_ONCE, SLOT_USED, SUN_OFFSET_WORD, TaskTable } from "./task-table";
import { evaluateTrigger, MAX_TRIGGER_NODES } from "./trigger";

export interface SchedulerOptions {
  clock: Clock;
  log: Log;
  counters: Counters;
  repository: TaskRepository;
  actions: DeviceActions;
  events: ScheduleEventSink;
  properties: PropertySource;
  site: { latitude: number; longitude: number; timezone: string };
  /** Gateway serial number for run reports. */
  sn: string;
  /** Task table size (config limits.maxTasks). */
  capacity: number;
  /** Trigger condition words shared by all tasks. */
  triggerWords?: number;
  catchUpSeconds?: number;
  backwardHoldSeconds?: number;
  actionTimeoutMs?: number;
  runQueue?: number;
  pendingEvents?: number;
}

/** In `local`: the DST zone's calendar fields (day number, second of day, month, day of month, weekday), then the standard zone's. */
const LOCAL_DST = 0;
const LOCAL_STANDARD = 5;

export class Scheduler implements TickService {
  readonly name = "schedule";
  readonly table: TaskTable;
  readonly runner: TaskRunner;
  private zone: PosixTimeZone;
  private standardZone: PosixTimeZone;
  private readonly latitude: number;
  private readonly longitude: number;
  private readonly catchUp: number;
  private readonly backwardHold: number;
  private readonly stack = new Uint8Array(MAX_TRIGGER_NODES);
  /** The current second's local calendar, computed once per second for each zone (small integers: Int32). */
  private readonly local = new Int32Array(2 * LOCAL_STANDARD);
  /** Last wall second processed; -1 before the first synced tick. */
  private lastSecond = -1;
  /** Highest priority among tasks in effect (recomputed by `refresh`). */
  private maxPriority = -Infinity;
  /** The table changed since the last `refresh` (install, remove, enable, disable, replan). */
  private dirty = true;
  /** Next start or end time of an enabled task: `refresh` is due then. */
  private nextBoundary = Infinity;
  /** No timed task fires before this (a lower bound). */
  private earliestDue = Infinity;
  /** Enabled trigger tasks listed in table.triggerList, evaluated every second. */
  private triggerCount = 0;
  private readonly cSkipped: number;
  private readonly cSuppressed: number;
  private readonly cBound: number;
  private readonly cExpired: number;
  private readonly cPersistFailed: number;
  private readonly cBackward: number;

  constructor(private readonly o: SchedulerOptions) {
    this.table = new TaskTable(o.capacity, o.triggerWords ?? Math.max(64, o.capacity * 8));
    this.zone = PosixTimeZone.parse(o.site.timezone);
    this.standardZone = standardOf(this.zone);
    this.latitude = o.site.latitude;
    this.longitude = o.site.longitude;
    this.catchUp = o.catchUpSeconds ?? 60;
    this.backwardHold = o.backwardHoldSeconds ?? 86_400;
    // The runner reads what it needs from the same options object (no second one kept alive).
    this.runner = new TaskRunner(o);
    this.cSkipped = o.counters.register("schedule_fires_skipped");
    this.cSuppressed = o.counters.register("schedule_fires_suppressed");
    this.cBound = o.counters.register("schedule_search_bound");
    this.cExpired = o.counters.register("schedule_tasks_expired");
    this.cPersistFailed = o.counters.register("schedule_persist_failed");
    this.cBackward = o.counters.register("schedule_clock_backward");
  }

  /** The site's zone changed (settings): replan everything. Throws TzError on a bad string, changing nothing. */
  setTimeZone(text: string): void {
    const zone = PosixTimeZone.parse(text);
    this.zone = zone;
    this.standardZone = standardOf(zone);
    if (this.lastSecond >= 0) this.planAll(this.lastSecond);
  }

  get synced(): boolean {
    return this.lastSecond >= 0;
  }

  // ------------------------------------------------------------------ table changes (command rate)

  /** Install (or replace) a validated task and plan it. */
  install(task: CompiledTask): void {
    this.dirty = true;
    const slot = this.table.put(task);
    if (this.lastSecond >= 0) this.plan(slot, this.lastSecond);
  }

  remove(taskId: string): void {
    const slot = this.table.find(taskId);
    if (slot >= 0) this.table.remove(slot);
    this.dirty = true;
  }

  clear(): void {
    this.table.clear();
    this.dirty = true;
  }

  /** Enable or disable a stored task in the table (the caller persisted it). */
  setEnabled(taskId: string, enable: boolean): void {
    const slot = this.table.find(taskId);
    if (slot < 0) return;
    this.dirty = true;
    const flags = this.table.flags;
    flags[slot] = enable ? flags[slot] | SLOT_ENABLED : flags[slot] & ~SLOT_ENABLED;
    // A re-enabled trigger starts from "false": a condition already true fires on the next evaluation.
    flags[slot] &= ~SLOT_CONDITION;
    if (this.lastSecond >= 0) this.plan(slot, this.lastSecond);
  }

  /** Next planned fire of a task (UTC seconds), Infinity when none; for tests and READ diagnostics. */
  nextFireOf(taskId: string): number {
    return this.table.nextFire(this.table.find(taskId));
  }

  // ------------------------------------------------------------------ planning

  /** Plan every task from `after` (boot, clock sync, time zone change, long backward jump). */
  planAll(after: number): void {
    this.dirty = true;
    for (let slot = 0; slot < this.table.slots; slot++) if (this.table.flags[slot] & SLOT_USED) this.plan(slot, after);
  }

  /**
   * Next fire of `slot` strictly after `after`, stored in the table (Infinity when none). A trigger task is never
   * planned: its `fire` entry holds its last fire, which stays.
   */
  private plan(slot: number, after: number): void {
    const t = this.table;
    if (t.kind[slot] !== KIND_TRIGGER) t.fire[slot] = this.fireAfter(slot, after);
  }

  private fireAfter(slot: number, after: number): number {
    const t = this.table;
    const kind = t.kind[slot];
    if ((t.flags[slot] & SLOT_ENABLED) === 0 || kind === KIND_TRIGGER) return Infinity;
    const start = t.startTime(slot);
    if (after < start - 1) after = start - 1;
    const zone = t.flags[slot] & SLOT_FOLLOW_DST ? this.zone : this.standardZone;
    const base = t.wordStart[slot];
    let next: number;
    if (kind === KIND_TIME || kind === KIND_CRON) next = nextWallFire(t.words, base, zone, after);
    else next = nextSunFire(t.words, base, zone, kind === KIND_SUNRISE ? SUNRISE : SUNSET, t.words[base + SUN_OFFSET_WORD], this.latitude, this.longitude, after);
    if (next === SEARCH_BOUND_HIT) this.o.counters.add(this.cBound);
    if (next < 0) return Infinity;
    const end = t.endTime(slot);
    return end > 0 && next >= end ? Infinity : next;
  }

  // ------------------------------------------------------------------ the tick

  tick(_nowMs: number): void {
    const clock = this.o.clock;
    if (!clock.wallSynced()) return;
    const now = Math.floor(clock.wallMs() / 1000);
    const last = this.lastSecond;
    if (now === last) return;
    if (last < 0) {
      this.lastSecond = now;
      this.planAll(now);
      this.o.log.write(LogLevel.Info, "schedule", `clock synced: ${this.table.count} tasks planned`);
      return;
    }
    if (now < last) {
      this.o.counters.add(this.cBackward);
      if (last - now > this.backwardHold) {
        this.o.log.write(LogLevel.Warn, "schedule", `clock moved back ${last - now} s: replanning every task from the new time`);
        this.forgetTriggerFires();
        this.lastSecond = now;
        this.planAll(now);
        return;
      }
      this.o.log.write(LogLevel.Warn, "schedule", `clock moved back ${last - now} s: fires already made are not repeated`);
    }
    this.lastSecond = now;
    this.second(now);
    this.runner.poll();
  }

  /** One wall-clock second: expiry and priorities when something changed, due fires, trigger edges. */
  private second(now: number): void {
    this.localFields(this.zone, now, LOCAL_DST);
    this.localFields(this.standardZone, now, LOCAL_STANDARD);
    if (this.dirty || now >= this.nextBoundary) this.refresh(now);
    if (now >= this.earliestDue) this.runDue(now);
    const slots = this.table.triggerList;
    const flags = this.table.flags;
    for (let k = 0; k < this.triggerCount; k++) {
      const slot = slots[k];
      // A trigger task disabled this second (once, expiry) stays listed until the next refresh.
      if (flags[slot] & SLOT_ENABLED) this.evaluate(slot, now);
    }
  }

  /** Full pass over the table: expiry, the highest priority in effect, the next boundary, triggers, earliest fire. */
  private refresh(now: number): void {
    const t = this.table;
    const flags = t.flags;
    let maxPriority = -Infinity;
    let nextBoundary = Infinity;
    let earliestDue = Infinity;
    let triggers = 0;
    for (let slot = 0; slot < t.slots; slot++) {
      if ((flags[slot] & (SLOT_USED | SLOT_ENABLED)) !== (SLOT_USED | SLOT_ENABLED)) continue;
      const end = t.endTime(slot);
      if (end > 0) {
        if (now >= end) {
          this.o.counters.add(this.cExpired);
          this.disable(slot, "expired");
          continue;
        }
        if (end < nextBoundary) nextBoundary = end;
      }
      const start = t.startTime(slot);
      if (start <= now) {
        if (t.priority[slot] > maxPriority) maxPriority = t.priority[slot];
      } else if (start < nextBoundary) nextBoundary = start;
      if (t.kind[slot] === KIND_TRIGGER) t.triggerList[triggers++] = slot;
      else if (t.fire[slot] < earliestDue) earliestDue = t.fire[slot];
    }
    this.maxPriority = maxPriority;
    this.nextBoundary = nextBoundary;
    this.earliestDue = earliestDue;
    this.triggerCount = triggers;
    this.dirty = false;
  }

  /** Fire the timed tasks that are due; recompute the earliest next fire. */
  private runDue(now: number): void {
    const t = this.table;
    const flags = t.flags;
    let earliest = Infinity;
    for (let slot = 0; slot < t.slots; slot++) {
      if ((flags[slot] & (SLOT_USED | SLOT_ENABLED)) !== (SLOT_USED | SLOT_ENABLED) || t.kind[slot] === KIND_TRIGGER) continue;
      if (t.fire[slot] <= now) this.due(slot, now);
      if (flags[slot] & SLOT_ENABLED && t.fire[slot] < earliest) earliest = t.fire[slot];
    }
    this.earliestDue = earliest;
  }

  private due(slot: number, now: number): void {
    const t = this.table;
    const planned = t.fire[slot];
    if (now - planned > this.catchUp) {
      this.o.counters.add(this.cSkipped);
      const retry = this.fireAfter(slot, now - this.catchUp - 1);
      this.o.log.write(LogLevel.Warn, "schedule", `task ${t.ids[slot]}: fires from ${planned} to ${now - this.catchUp - 1} missed (clock jump or stall), skipped`);
      if (retry > now) {
        t.fire[slot] = retry;
        return;
      }
    }
    // Every fire due within the catch-up window collapses into this one run.
    this.fire(slot, now);
    if (t.flags[slot] & SLOT_ENABLED) this.plan(slot, now);
  }

  /** After a long backward jump: the triggers' last fires belong to the wrong clock. */
  private forgetTriggerFires(): void {
    const t = this.table;
    for (let slot = 0; slot < t.slots; slot++) if (t.flags[slot] & SLOT_USED && t.kind[slot] === KIND_TRIGGER) t.fire[slot] = -Infinity;
  }

  /** Day number, second of day, month, day of month, weekday of `now` in `zone`, into `local[at..at+5)`. */
  private localFields(zone: PosixTimeZone, now: number, at: number): void {
    const wall = zone.wallAt(now);
    const day = Math.floor(wall / SECONDS_PER_DAY);
    const ymd = civilFromDays(day);
    const local = this.local;
    local[at] = day;
    local[at + 1] = wall - day * SECONDS_PER_DAY;
    local[at + 2] = ymdMonth(ymd);
    local[at + 3] = ymdDay(ymd);
    local[at + 4] = weekdayFromDays(day);
  }

  private evaluate(slot: number, now: number): void {
    const t = this.table;
    const at = t.flags[slot] & SLOT_FOLLOW_DST ? LOCAL_DST : LOCAL_STANDARD;
    const local = this.local;
    const value = evaluateTrigger(t.triggerOps, t.triggerValues, t.triggerStart[slot], t.triggerLength[slot], this.o.properties, local[at + 1], this.stack);
    const was = (t.flags[slot] & SLOT_CONDITION) !== 0;
    if (value) t.flags[slot] |= SLOT_CONDITION;
    else t.flags[slot] &= ~SLOT_CONDITION;
    // The edge counts only inside the task's window and day filter, and never before the clock passes its last fire.
    if (!value || was || t.startTime(slot) > now || now <= t.fire[slot]) return;
    if (!plainDayAllowed(t.words, t.wordStart[slot], local[at + 2], local[at + 3], local[at + 4])) return;
    this.fire(slot, now);
  }

  private fire(slot: number, now: number): void {
    const t = this.table;
    const taskId = t.ids[slot] as string;
    if (t.priority[slot] < this.maxPriority) {
      this.o.counters.add(this.cSuppressed);
      this.o.log.write(LogLevel.Info, "schedule", `task ${taskId}: fire suppressed, priority ${t.priority[slot]} < ${this.maxPriority} in effect`);
      return;
    }
    // A trigger's last fire (a timed task's next one is planned by the caller).
    if (t.kind[slot] === KIND_TRIGGER) t.fire[slot] = now;
    this.runner.enqueue(taskId);
    if (t.flags[slot] & SLOT_ONCE) this.disable(slot, "ran once");
  }

  /** Set enable = 0 in the table and in the stored task (expiry, once-tasks). */
  private disable(slot: number, why: string): void {
    const t = this.table;
    const taskId = t.ids[slot] as string;
    t.flags[slot] &= ~SLOT_ENABLED;
    if (t.kind[slot] !== KIND_TRIGGER) t.fire[slot] = Infinity;
    this.dirty = true;
    this.o.log.write(LogLevel.Info, "schedule", `task ${taskId}: ${why}, enable set to 0`);
    try {
      const json = this.o.repository.get(taskId);
      if (json === null) return;
      const task = JSON.parse(json) as Record<string, unknown>;
      task.enable = 0;
      this.o.repository.put({ taskId, json: JSON.stringify(task) });
    } catch (error) {
      // The table says disabled; at the next boot expiry is found again, a once-task could run once more.
      this.o.counters.add(this.cPersistFailed);
      this.o.log.write(LogLevel.Error, "schedule", `task ${taskId}: could not persist enable = 0: ${String(error)}`);
    }
  }
}

/** The zone at standard time all year; a zone without DST already is (no second copy kept). */
function standardOf(zone: PosixTimeZone): PosixTimeZone {
  return zone.hasDst ? zone.standardOnly() : zone;
}
