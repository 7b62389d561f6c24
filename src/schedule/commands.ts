/**
 * spec-003 `schedule` commands as a sans-I/O handler: the parsed JSON command in, the reply object out.
 *
 * Every command is all-or-nothing: all tasks are validated, ids checked and capacity reserved first; then the change
 * is committed to the repository in one atomic call; only then is the scheduler's table changed and success
 * returned. A failure at any step answers `res: 0` with an error code (codes.ts) and a `msg` naming the field or
 * task, and changes nothing. The payload key may be "payload" or the spec's "payload " (with a trailing space).
 *
 * A successful change is committed together with its reply text, keyed by msgid: a redelivered command (MQTT QoS 1)
 * gets the same reply again without being applied twice. Use `handleText` with the raw MQTT payload so a 64-bit
 * msgid survives to the reply (json-lossless.ts); `handle` takes an already parsed object.
 */
import type { Clock } from "../../hal/types";
import { ERR_CAPACITY, ERR_DUPLICATE, ERR_INVALID, ERR_MALFORMED, ERR_NONE, ERR_NOT_FOUND, ERR_STORAGE } from "./codes";
import { parseLossless, RawJsonNumber, stringifyLossless } from "./json-lossless";
import type { PropertySource, RememberedReply, TaskRecord, TaskRepository } from "./ports";
import type { Scheduler } from "./scheduler";
import { compileTask, DEFAULT_TASK_LIMITS, type CompiledTask, type TaskLimits } from "./task";
import { TaskError } from "./task-error";
import { deepFreeze } from "../core/freeze";

export const SCHEDULE_COMMANDS = deepFreeze(["SET", "ADD", "DELETE", "UPDATE", "ENABLE_ALL", "ENABLE", "CLEAR", "READ_ALL", "READ"] as const);
export type ScheduleCommand = (typeof SCHEDULE_COMMANDS)[number];

export interface ScheduleReply {
  msgid: unknown;
  method: "schedule";
  sn: string;
  res: 0 | 1;
  errcode: string;
  timestamp: number;
  /** On failure: what was wrong (field path and problem). */
  msg?: string;
  /** READ / READ_ALL: the stored task objects. */
  tasks?: unknown[];
}

export interface ScheduleCommandOptions {
  scheduler: Scheduler;
  repository: TaskRepository;
  properties: PropertySource;
  clock: Clock;
  /** Gateway serial number, used when the command carries none. */
  sn: string;
  limits?: TaskLimits;
  /** Largest READ/READ_ALL reply (JSON characters); a larger one is refused with ERR_CAPACITY. */
  maxReplyBytes?: number;
}

/** A refusal: the reply's error code and message. */
class Refusal extends Error {
  constructor(
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export class ScheduleCommandHandler {
  private readonly limits: TaskLimits;
  private readonly maxReplyBytes: number;
  /** The reply being built and its msgid key, for `commit` to remember. */
  private reply: ScheduleReply | null = null;
  private mid: string | null = null;

  constructor(private readonly o: ScheduleCommandOptions) {
    this.limits = o.limits ?? DEFAULT_TASK_LIMITS;
    this.maxReplyBytes = o.maxReplyBytes ?? 8192;
  }

  /** The raw command text in, the reply text out (64-bit msgids kept exact). */
  handleText(text: string): string {
    let message: unknown;
    try {
      message = parseLossless(text);
    } catch {
      message = "(not JSON)";
    }
    return stringifyLossless(this.handle(message));
  }

  /**
   * A command whose payload cannot be parsed (too large, not UTF-8, nested too deep: `problem`): res 0 with
   * `errcode` (ERR_CAPACITY for size, ERR_MALFORMED otherwise) and the problem as msg; `msgid` is the digits (or
   * string) read from what arrived, null when none. Nothing changes; the reply is not remembered.
   */
  refuseText(msgid: string | null, errcode: string, problem: string): string {
    const reply: ScheduleReply = {
      msgid: msgid === null ? null : /^-?\d+$/.test(msgid) ? new RawJsonNumber(msgid) : msgid,
      method: "schedule",
      sn: this.o.sn,
      res: 0,
      errcode,
      timestamp: Math.floor(this.o.clock.wallMs() / 1000),
      msg: problem,
    };
    return stringifyLossless(reply);
  }

  handle(message: unknown): ScheduleReply {
    const msgid = isPlainObject(message) ? message.msgid : undefined;
    const mid = msgid instanceof RawJsonNumber ? msgid.digits : typeof msgid === "number" || typeof msgid === "string" ? String(msgid) : null;
    if (mid !== null) {
      const remembered = this.o.repository.recentReply(mid);
      if (remembered !== null) return parseLossless(remembered) as ScheduleReply;
    }
    const reply: ScheduleReply = {
      msgid: isPlainObject(message) ? (message.msgid ?? null) : null,
      method: "schedule",
      sn: isPlainObject(message) && typeof message.sn === "string" ? message.sn : this.o.sn,
      res: 1,
      errcode: ERR_NONE,
      timestamp: Math.floor(this.o.clock.wallMs() / 1000),
    };
    this.reply = reply;
    this.mid = mid;
    try {
      if (!isPlainObject(message)) throw new Refusal(ERR_MALFORMED, "the command must be a JSON object");
      if (message.method !== undefined && message.method !== "schedule") throw new Refusal(ERR_MALFORMED, `method: "${String(message.method)}" is not "schedule"`);
      const payload = "payload" in message ? message.payload : message["payload "];
      if (!isPlainObject(payload)) throw new Refusal(ERR_MALFORMED, 'payload: missing or not an object ("payload" or "payload ")');
      const cmd = payload.cmd;
      if (typeof cmd !== "string" || !(SCHEDULE_COMMANDS as readonly string[]).includes(cmd)) {
        throw new Refusal(ERR_MALFORMED, `payload.cmd: must be one of ${SCHEDULE_COMMANDS.join(", ")}`);
      }
      const tasks = this.run(cmd as ScheduleCommand, payload);
      if (tasks) {
        if (JSON.stringify(tasks).length > this.maxReplyBytes) {
          throw new Refusal(ERR_CAPACITY, `the reply would exceed ${this.maxReplyBytes} bytes; READ fewer taskIds at a time`);
        }
        reply.tasks = tasks;
      }
    } catch (error) {
      reply.res = 0;
      if (error instanceof Refusal) {
        reply.errcode = error.errcode;
        reply.msg = error.message;
      } else if (error instanceof TaskError) {
        reply.errcode = ERR_INVALID;
        reply.msg = error.message;
      } else {
        throw error;
      }
    } finally {
      this.reply = null;
      this.mid = null;
    }
    return reply;
  }

  private run(cmd: ScheduleCommand, payload: Record<string, unknown>): unknown[] | null {
    switch (cmd) {
      case "SET":
        return this.set(this.taskList(payload, true));
      case "ADD":
        return this.add(this.taskList(payload, false));
      case "UPDATE":
        return this.update(this.taskList(payload, false));
      case "DELETE":
        return this.remove(this.idList(payload));
      case "ENABLE":
        return this.enable(this.taskList(payload, false));
      case "ENABLE_ALL":
        return this.enableAll(payload);
      case "CLEAR":
        this.commit((remember) => this.o.repository.replaceAll([], remember));
        this.o.scheduler.clear();
        return null;
      case "READ_ALL":
        return this.o.repository.list().map((taskId) => this.stored(taskId));
      case "READ":
        return this.idList(payload).map((taskId) => this.stored(taskId));
    }
  }

  // ---------------------------------------------------------------- commands

  private set(raw: unknown[]): null {
    const tasks = this.compileAll(raw);
    this.checkCapacity(tasks.length, this.triggerWords(tasks));
    this.commit((remember) => this.o.repository.replaceAll(tasks.map(record), remember));
    const scheduler = this.o.scheduler;
    scheduler.clear();
    // The table grows (if it must) once for the whole set rather than task by task.
    scheduler.table.reserveFor(tasks);
    for (const task of tasks) scheduler.install(task);
    return null;
  }

  private add(raw: unknown[]): null {
    const tasks = this.compileAll(raw);
    tasks.forEach((task, i) => {
      if (this.exists(task.taskId)) throw new Refusal(ERR_DUPLICATE, `tasks[${i}].taskId: "${task.taskId}" already exists (use UPDATE)`);
    });
    const table = this.o.scheduler.table;
    this.checkCapacity(table.count + tasks.length, table.triggerUsed + this.triggerWords(tasks));
    this.commit((remember) => this.o.repository.apply(tasks.map(record), [], remember));
    this.o.scheduler.table.reserveFor(tasks);
    for (const task of tasks) this.o.scheduler.install(task);
    return null;
  }

  private update(raw: unknown[]): null {
    const tasks = this.compileAll(raw);
    const table = this.o.scheduler.table;
    let triggerWords = table.triggerUsed;
    let count = table.count;
    tasks.forEach((task, i) => {
      const slot = table.find(task.taskId);
      if (slot < 0 && !this.exists(task.taskId)) throw new Refusal(ERR_NOT_FOUND, `tasks[${i}].taskId: "${task.taskId}" does not exist (use ADD)`);
      // A stored task missing from the table (refused at boot) comes back into it.
      if (slot < 0) count++;
      triggerWords += (task.trigger ? task.trigger.length : 0) - (slot >= 0 ? table.triggerLength[slot] : 0);
    });
    this.checkCapacity(count, triggerWords);
    this.commit((remember) => this.o.repository.apply(tasks.map(record), [], remember));
    for (const task of tasks) this.o.scheduler.install(task);
    return null;
  }

  private remove(ids: string[]): null {
    ids.forEach((taskId, i) => {
      if (!this.exists(taskId)) throw new Refusal(ERR_NOT_FOUND, `tasks[${i}].taskId: "${taskId}" does not exist`);
    });
    this.commit((remember) => this.o.repository.apply([], ids, remember));
    for (const taskId of ids) this.o.scheduler.remove(taskId);
    return null;
  }

  private enable(raw: unknown[]): null {
    const changes: { taskId: string; enable: 0 | 1 }[] = [];
    raw.forEach((entry, i) => {
      if (!isPlainObject(entry)) throw new TaskError(`tasks[${i}]`, "must be an object");
      const taskId = this.taskId(entry.taskId, `tasks[${i}].taskId`);
      const enable = entry.enable;
      if (enable !== 0 && enable !== 1) throw new TaskError(`tasks[${i}].enable`, "must be 1 or 0");
      if (!this.exists(taskId)) throw new Refusal(ERR_NOT_FOUND, `tasks[${i}].taskId: "${taskId}" does not exist`);
      changes.push({ taskId, enable });
    });
    const records = changes.map(({ taskId, enable }) => {
      const task = this.stored(taskId);
      task.enable = enable;
      return { taskId, json: JSON.stringify(task) };
    });
    this.commit((remember) => this.o.repository.apply(records, [], remember));
    for (const { taskId, enable } of changes) this.o.scheduler.setEnabled(taskId, enable === 1);
    return null;
  }

  private enableAll(payload: Record<string, unknown>): null {
    const enable = payload.enable;
    if (enable !== 0 && enable !== 1) throw new TaskError("payload.enable", "must be 1 or 0");
    const records: TaskRecord[] = [];
    for (const taskId of this.o.repository.list()) {
      const task = this.stored(taskId);
      if (task.enable === enable) continue;
      task.enable = enable;
      records.push({ taskId, json: JSON.stringify(task) });
    }
    if (records.length > 0) this.commit((remember) => this.o.repository.apply(records, [], remember));
    for (const { taskId } of records) this.o.scheduler.setEnabled(taskId, enable === 1);
    return null;
  }

  // ---------------------------------------------------------------- helpers

  private taskList(payload: Record<string, unknown>, emptyAllowed: boolean): unknown[] {
    const tasks = payload.tasks;
    if (!Array.isArray(tasks)) throw new Refusal(ERR_MALFORMED, "payload.tasks: must be an array");
    if (!emptyAllowed && tasks.length === 0) throw new TaskError("payload.tasks", "must not be empty");
    return tasks;
  }

  private idList(payload: Record<string, unknown>): string[] {
    const ids = this.taskList(payload, false).map((entry, i) => {
      if (!isPlainObject(entry)) throw new TaskError(`tasks[${i}]`, "must be an object with a taskId");
      return this.taskId(entry.taskId, `tasks[${i}].taskId`);
    });
    ids.forEach((taskId, i) => {
      if (ids.indexOf(taskId) !== i) throw new Refusal(ERR_DUPLICATE, `tasks[${i}].taskId: "${taskId}" appears twice`);
    });
    return ids;
  }

  private taskId(value: unknown, path: string): string {
    if (typeof value === "number" && Number.isInteger(value)) return String(value);
    if (typeof value !== "string" || value.length === 0) throw new TaskError(path, "must be a non-empty string");
    return value;
  }

  private compileAll(raw: unknown[]): CompiledTask[] {
    const tasks = raw.map((task, i) => compileTask(task, `tasks[${i}]`, this.o.properties, this.limits));
    tasks.forEach((task, i) => {
      if (tasks.findIndex((other) => other.taskId === task.taskId) !== i) throw new Refusal(ERR_DUPLICATE, `tasks[${i}].taskId: "${task.taskId}" appears twice`);
    });
    return tasks;
  }

  private triggerWords(tasks: CompiledTask[]): number {
    let words = 0;
    for (const task of tasks) words += task.trigger ? task.trigger.length : 0;
    return words;
  }

  private checkCapacity(count: number, triggerWords: number): void {
    const table = this.o.scheduler.table;
    if (count > table.capacity) throw new Refusal(ERR_CAPACITY, `${count} tasks exceed the capacity of ${table.capacity}`);
    if (triggerWords > table.triggerCapacity) throw new Refusal(ERR_CAPACITY, `trigger conditions need ${triggerWords} nodes, the pool holds ${table.triggerCapacity}`);
  }

  private exists(taskId: string): boolean {
    return this.o.scheduler.table.find(taskId) >= 0 || this.o.repository.get(taskId) !== null;
  }

  private stored(taskId: string): Record<string, unknown> {
    const json = this.o.repository.get(taskId);
    if (json === null) throw new Refusal(ERR_NOT_FOUND, `taskId "${taskId}" does not exist`);
    return JSON.parse(json) as Record<string, unknown>;
  }

  /** Run one repository write, giving it the success reply to remember; a throw becomes ERR_STORAGE. */
  private commit(write: (remember: RememberedReply | undefined) => void): void {
    const remember = this.mid !== null && this.reply !== null ? { mid: this.mid, text: stringifyLossless(this.reply) } : undefined;
    try {
      write(remember);
    } catch (error) {
      throw new Refusal(ERR_STORAGE, `the store refused the change: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function record(task: CompiledTask): TaskRecord {
  return { taskId: task.taskId, json: task.json };
}
