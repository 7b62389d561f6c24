/**
 * spec-003 `schedule` commands as a sans-I/O handler: the parsed JSON command in, the reply object out.
 *
 * Every command is all-or-nothing: all tasks are validated, ids checked and capacity reserved first; then the change
 * is committed to the repository in one atomic call; only then is the scheduler's table changed and success
 * returned. A failure at any step answers `res: 0` with an error code (codes.ts) and a `msg` naming the field or
 * task, and changes nothing. The payload key may be "payload" or the spec's "payload " (with a trailing space).
 *
 * A successful change is committed together with its reply text, keyed by msgid and marked with the command's
 * identity (its `cmd` and a digest of its text, src/core/command-identity.ts): a redelivered command (MQTT QoS 1)
 * gets the same reply again without being applied twice, while a reused msgid with another cmd or body (the spec's
 * examples all share one) is handled as a new command.
 *
 * A command whose `sn` is not this gateway's is refused (ERR_WRONG_SN) and changes nothing; every reply carries
 * the gateway's own sn. DELETE of some unknown ids deletes the known ones and names the others in
 * `unknownTaskIds` (res 1); when none is known it is refused (ERR_NOT_FOUND). READ and READ_ALL answers larger than
 * one message are split in parts (`part`, `parts`, `total`; docs/schedule.md), built one at a time.
 *
 * Use `handleCommand` with the raw MQTT payload so a 64-bit msgid survives to the reply (json-lossless.ts);
 * `handleText` is the same for one-message replies, `handle` takes an already parsed object.
 */
import { LogLevel, type Clock, type Log } from "../../hal/types";
import { fnv1a32, rememberedReplyFor, rememberedText } from "../core/command-identity";
import type { Counters } from "../core/counters";
import { partStarts, SinglePage, type ReplyPages } from "../core/reply-pages";
import { utf8Length } from "../protocol/json-values";
import { ERR_CAPACITY, ERR_DUPLICATE, ERR_INVALID, ERR_MALFORMED, ERR_NONE, ERR_NOT_FOUND, ERR_STORAGE, ERR_WRONG_SN } from "./codes";
import { parseLossless, RawJsonNumber, stringifyLossless } from "./json-lossless";
import type { PropertySource, RememberedReply, TaskRecord, TaskRepository } from "./ports";
import type { Scheduler } from "./scheduler";
import { compileTask, DEFAULT_TASK_LIMITS, type CompiledTask, type TaskLimits } from "./task";
import { ArrayElements } from "../protocol/json-spans";
import { splitTaskCommand, TaskBatch, type TaskSource } from "./task-batch";
import { Listed, Mapped } from "../core/lazy-list";
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
  /** DELETE: the named taskIds that did not exist (the others were deleted). */
  unknownTaskIds?: string[];
  /** READ / READ_ALL in several messages: this message's number (1-based), how many there are, how many tasks in all. */
  part?: number;
  parts?: number;
  total?: number;
  /** READ / READ_ALL: the stored task objects. */
  tasks?: unknown[];
}

export interface ScheduleCommandOptions {
  scheduler: Scheduler;
  repository: TaskRepository;
  properties: PropertySource;
  clock: Clock;
  /** Gateway serial number: a command naming another is refused; every reply carries this one. */
  sn: string;
  limits?: TaskLimits;
  /** Largest reply message (UTF-8 bytes); a READ/READ_ALL answer beyond it is split into parts of at most this. */
  maxReplyBytes?: number;
  /** Where reused msgids are counted and logged (optional: tests). */
  counters?: Counters;
  log?: Log;
}

/** Bytes a part adds to its header beyond the tasks: `,"tasks":[` and `]}` (and a margin for part numbers). */
const PART_FRAME_BYTES = 24;

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
  /** The identity of the command being handled: its cmd (index in SCHEDULE_COMMANDS) and text digest. */
  private kind = 0;
  private digest = 0;
  /** The ids a READ / READ_ALL answers with (set by `run`, taken by `process`). */
  private readIds: string[] | null = null;
  private readonly cReusedIds: number;
  /** The tasks of the command being handled when they were left in its text (handleCommand); else null. */
  private taskSource: TaskSource | null = null;

  constructor(private readonly o: ScheduleCommandOptions) {
    this.limits = o.limits ?? DEFAULT_TASK_LIMITS;
    this.maxReplyBytes = o.maxReplyBytes ?? 8192;
    this.cReusedIds = o.counters ? o.counters.register("schedule_reused_msgids") : -1;
  }

  /**
   * The raw command text in, the reply out as one or more messages (64-bit msgids kept exact). Each part's text is
   * built when the caller asks for it.
   */
  handleCommand(text: string): ReplyPages {
    let message: unknown;
    // The tasks stay in the text and are parsed one at a time (task-batch.ts: a whole 30-task SET parsed at once does
    // not fit the device's heap); texts the scanner declines are parsed whole, as before.
    const split = splitTaskCommand(text, this.o.scheduler.table.capacity);
    try {
      message = parseLossless(split === null ? text : split.envelope);
    } catch {
      message = "(not JSON)";
    }
    this.taskSource = split === null ? null : split.elements;
    let reply: ScheduleReply;
    try {
      reply = this.process(message, fnv1a32(text));
    } finally {
      this.taskSource = null;
    }
    const ids = this.readIds;
    this.readIds = null;
    if (ids === null) return new SinglePage(stringifyLossless(reply));
    return new TaskPages(reply, ids, this.o.repository, this.maxReplyBytes);
  }

  /** `handleCommand` for replies of one message (tests, tools); a reply in several parts throws. */
  handleText(text: string): string {
    const pages = this.handleCommand(text);
    if (pages.parts !== 1) throw new Error(`the reply takes ${pages.parts} messages: use handleCommand`);
    return pages.next() as string;
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

  /**
   * An already parsed command in, the reply object out (tests, tools). The digest is taken over the object's JSON
   * text; a READ / READ_ALL answer in several parts throws (use handleCommand).
   */
  handle(message: unknown): ScheduleReply {
    const reply = this.process(message, fnv1a32(message === undefined ? "" : stringifyLossless(message)));
    const ids = this.readIds;
    this.readIds = null;
    if (ids !== null) {
      const pages = new TaskPages(reply, ids, this.o.repository, this.maxReplyBytes);
      if (pages.parts !== 1) throw new Error(`the reply takes ${pages.parts} messages: use handleCommand`);
      reply.tasks = ids.map((taskId) => this.stored(taskId));
    }
    return reply;
  }

  private process(message: unknown, digest: number): ScheduleReply {
    const msgid = isPlainObject(message) ? message.msgid : undefined;
    const mid = msgid instanceof RawJsonNumber ? msgid.digits : typeof msgid === "number" || typeof msgid === "string" ? String(msgid) : null;
    const payload = isPlainObject(message) ? ("payload" in message ? message.payload : message["payload "]) : undefined;
    const cmd = isPlainObject(payload) ? payload.cmd : undefined;
    const kind = (SCHEDULE_COMMANDS as readonly unknown[]).indexOf(cmd);
    this.kind = kind < 0 ? 255 : kind;
    this.digest = digest;
    this.readIds = null;
    if (mid !== null) {
      const stored = this.o.repository.recentReply(mid);
      const remembered = rememberedReplyFor(stored, this.kind, digest);
      if (remembered !== null) return parseLossless(remembered) as ScheduleReply;
      if (stored !== null && this.o.counters) {
        // The platform reused a msgid for another command: handled as new (docs/schedule.md), and counted.
        this.o.counters.add(this.cReusedIds);
        this.o.log?.write(LogLevel.Info, "schedule", `msgid ${mid} reused by another command: handled as new`);
      }
    }
    const reply: ScheduleReply = {
      msgid: isPlainObject(message) ? (message.msgid ?? null) : null,
      method: "schedule",
      sn: this.o.sn,
      res: 1,
      errcode: ERR_NONE,
      timestamp: Math.floor(this.o.clock.wallMs() / 1000),
    };
    this.reply = reply;
    this.mid = mid;
    try {
      if (!isPlainObject(message)) throw new Refusal(ERR_MALFORMED, "the command must be a JSON object");
      if (message.method !== undefined && message.method !== "schedule") throw new Refusal(ERR_MALFORMED, `method: "${String(message.method)}" is not "schedule"`);
      // A command for another gateway (a platform routing error) must not touch this one's tasks.
      if (message.sn !== undefined && message.sn !== this.o.sn) {
        throw new Refusal(ERR_WRONG_SN, `sn: this gateway is "${this.o.sn}", the command is for ${JSON.stringify(message.sn)}; nothing was changed`);
      }
      if (!isPlainObject(payload)) throw new Refusal(ERR_MALFORMED, 'payload: missing or not an object ("payload" or "payload ")');
      if (typeof cmd !== "string" || kind < 0) {
        throw new Refusal(ERR_MALFORMED, `payload.cmd: must be one of ${SCHEDULE_COMMANDS.join(", ")}`);
      }
      this.readIds = this.run(cmd as ScheduleCommand, payload);
    } catch (error) {
      this.readIds = null;
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

  /** Apply one command; READ / READ_ALL return the ids to answer with (checked to exist), the others null. */
  private run(cmd: ScheduleCommand, payload: Record<string, unknown>): string[] | null {
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
        this.commit((remember) => this.o.repository.replaceAll(new Listed<TaskRecord>([]), remember));
        this.o.scheduler.clear();
        return null;
      case "READ_ALL":
        return this.o.repository.list();
      case "READ": {
        const ids = this.idList(payload);
        ids.forEach((taskId, i) => {
          if (!this.exists(taskId)) throw new Refusal(ERR_NOT_FOUND, `tasks[${i}].taskId: "${taskId}" does not exist`);
        });
        return ids;
      }
    }
  }

  // ---------------------------------------------------------------- commands

  private set(source: TaskSource): null {
    const batch = this.compileAll(source);
    this.checkCapacity(batch.length, batch.triggerNodes);
    this.commit((remember) => this.o.repository.replaceAll(batch, remember));
    const scheduler = this.o.scheduler;
    scheduler.clear();
    // The table grows (if it must) once for the whole set rather than task by task.
    scheduler.table.reserveForCounts(batch.length, batch.words, batch.triggerNodes);
    this.installAll(batch);
    return null;
  }

  private add(source: TaskSource): null {
    const batch = this.compileAll(source);
    batch.ids.forEach((taskId, i) => {
      if (this.exists(taskId)) throw new Refusal(ERR_DUPLICATE, `tasks[${i}].taskId: "${taskId}" already exists (use UPDATE)`);
    });
    const table = this.o.scheduler.table;
    this.checkCapacity(table.count + batch.length, table.triggerUsed + batch.triggerNodes);
    this.commit((remember) => this.o.repository.apply(batch, [], remember));
    table.reserveForCounts(batch.length, batch.words, batch.triggerNodes);
    this.installAll(batch);
    return null;
  }

  private update(source: TaskSource): null {
    const table = this.o.scheduler.table;
    let triggerWords = table.triggerUsed;
    let count = table.count;
    const batch = this.compileAll(source, (task, i) => {
      const slot = table.find(task.taskId);
      if (slot < 0 && !this.exists(task.taskId)) throw new Refusal(ERR_NOT_FOUND, `tasks[${i}].taskId: "${task.taskId}" does not exist (use ADD)`);
      // A stored task missing from the table (refused at boot) comes back into it.
      if (slot < 0) count++;
      triggerWords += (task.trigger ? task.trigger.length : 0) - (slot >= 0 ? table.triggerLength[slot] : 0);
    });
    this.checkCapacity(count, triggerWords);
    this.commit((remember) => this.o.repository.apply(batch, [], remember));
    this.installAll(batch);
    return null;
  }

  /**
   * DELETE: the known ids are deleted; unknown ones are named in the reply (`unknownTaskIds`, `msg`). After it none
   * of the named tasks exists, which is what the platform asked; when none existed nothing was done, and that is a
   * refusal (ERR_NOT_FOUND), never a success.
   */
  private remove(ids: string[]): null {
    const known: string[] = [];
    const unknown: string[] = [];
    for (const taskId of ids) (this.exists(taskId) ? known : unknown).push(taskId);
    if (known.length === 0) {
      throw new Refusal(ERR_NOT_FOUND, `tasks: ${unknown.map((id) => `"${id}"`).join(", ")} ${unknown.length === 1 ? "does" : "do"} not exist; nothing was deleted`);
    }
    if (unknown.length > 0 && this.reply !== null) {
      this.reply.unknownTaskIds = unknown;
      this.reply.msg = `tasks: ${unknown.map((id) => `"${id}"`).join(", ")} did not exist; ${known.length} deleted`;
    }
    this.commit((remember) => this.o.repository.apply(new Listed<TaskRecord>([]), known, remember));
    for (const taskId of known) this.o.scheduler.remove(taskId);
    return null;
  }

  private enable(source: TaskSource): null {
    const changes: { taskId: string; enable: 0 | 1 }[] = [];
    elementsOf(source).forEach((entry, i) => {
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
    this.commit((remember) => this.o.repository.apply(new Listed(records), [], remember));
    for (const { taskId, enable } of changes) this.o.scheduler.setEnabled(taskId, enable === 1);
    return null;
  }

  private enableAll(payload: Record<string, unknown>): null {
    const enable = payload.enable;
    if (enable !== 0 && enable !== 1) throw new TaskError("payload.enable", "must be 1 or 0");
    // The ids to change first, then each record rewritten as the store takes it (64 task texts are ~16 KB).
    const changing: string[] = [];
    for (const taskId of this.o.repository.list()) if (this.stored(taskId).enable !== enable) changing.push(taskId);
    const records = new Mapped(changing, (taskId): TaskRecord => {
      const task = this.stored(taskId);
      task.enable = enable;
      return { taskId, json: JSON.stringify(task) };
    });
    if (changing.length > 0) this.commit((remember) => this.o.repository.apply(records, [], remember));
    for (const taskId of changing) this.o.scheduler.setEnabled(taskId, enable === 1);
    return null;
  }

  // ---------------------------------------------------------------- helpers

  private taskList(payload: Record<string, unknown>, emptyAllowed: boolean): TaskSource {
    const tasks = payload.tasks;
    if (!Array.isArray(tasks)) throw new Refusal(ERR_MALFORMED, "payload.tasks: must be an array");
    const source = this.taskSource ?? new ArrayElements(tasks);
    if (!emptyAllowed && source.length === 0) throw new TaskError("payload.tasks", "must not be empty");
    return source;
  }

  private idList(payload: Record<string, unknown>): string[] {
    const ids = elementsOf(this.taskList(payload, false)).map((entry, i) => {
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

  /**
   * Validate and compile the command's tasks one at a time, keeping their records only (task-batch.ts); `check`
   * sees each compiled task before it is dropped. An element that is not JSON is refused like a malformed command.
   */
  private compileAll(source: TaskSource, check?: (task: CompiledTask, index: number) => void): TaskBatch {
    // The try is here rather than through refusingBadJson: two frames fewer on the device's deepest path (a task
    // ADD compiled inside the socket callback peaked at 489 of the 512 stack slots).
    let batch: TaskBatch;
    try {
      batch = TaskBatch.compile(source, (raw, i) => {
        const task = compileTask(raw, `tasks[${i}]`, this.o.properties, this.limits);
        if (check) check(task, i);
        return task;
      });
    } catch (error) {
      throw badJsonRefusal(error);
    }
    const i = batch.duplicateAt;
    if (i >= 0) throw new Refusal(ERR_DUPLICATE, `tasks[${i}].taskId: "${batch.ids[i]}" appears twice`);
    return batch;
  }

  /** Install a committed batch: each task compiled again, one at a time, so no list of compiled tasks is held. */
  private installAll(batch: TaskBatch): void {
    for (let i = 0; i < batch.length; i++) this.o.scheduler.install(batch.task(i));
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
    const remember = this.mid !== null && this.reply !== null ? { mid: this.mid, text: rememberedText(this.kind, this.digest, stringifyLossless(this.reply)) } : undefined;
    try {
      write(remember);
    } catch (error) {
      throw new Refusal(ERR_STORAGE, `the store refused the change: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Every element of a small tasks list (DELETE, ENABLE, READ: ids and flags only) as one array. */
function elementsOf(source: TaskSource): unknown[] {
  return refusingBadJson(() => {
    const list: unknown[] = [];
    for (let i = 0; i < source.length; i++) list.push(source.at(i));
    return list;
  });
}

/** Run `parse`: an element of the command's tasks that is not JSON is refused like a malformed command. */
function refusingBadJson<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw badJsonRefusal(error);
  }
}

/** What to throw for an error met while parsing the tasks: a SyntaxError is a malformed command, the rest as it is. */
function badJsonRefusal(error: unknown): unknown {
  return error instanceof SyntaxError ? new Refusal(ERR_MALFORMED, `payload.tasks: not JSON (${error.message})`) : error;
}

/**
 * A READ / READ_ALL answer: the tasks' stored JSON texts, as many per message as fit `maxBytes`. The plan (which ids
 * go in which part) is made at once from the stored texts' sizes; each part's text is built from the store when
 * asked for. A task deleted between the plan and its part is left out of it (the part says so by its shorter list);
 * one reply of one part carries no part fields, as before.
 */
class TaskPages implements ReplyPages {
  readonly parts: number;
  /** Index in `ids` where each part starts; one more entry at the end. */
  private readonly starts: Uint16Array | Uint32Array;
  private part = 0;

  constructor(
    private readonly reply: ScheduleReply,
    private readonly ids: readonly string[],
    private readonly repository: TaskRepository,
    maxBytes: number,
  ) {
    const headBytes = utf8Length(stringifyLossless({ ...reply, part: ids.length, parts: ids.length, total: ids.length })) + PART_FRAME_BYTES;
    const room = maxBytes - headBytes;
    // A task bigger than a whole part gets a part of its own (task bodies are bounded far below a packet by the
    // store's record size, so this does not happen in practice); a deleted one takes nothing.
    this.starts = partStarts(
      ids.length,
      (i) => {
        const json = repository.get(ids[i]);
        return json === null ? 0 : utf8Length(json) + 1;
      },
      room,
    );
    this.parts = this.starts.length - 1;
  }

  next(): string | null {
    if (this.part >= this.parts) return null;
    const index = this.part++;
    const texts: string[] = [];
    for (let i = this.starts[index]; i < this.starts[index + 1]; i++) {
      const json = this.repository.get(this.ids[i]);
      if (json !== null) texts.push(json);
    }
    const head: ScheduleReply = this.parts === 1 ? { ...this.reply } : { ...this.reply, part: index + 1, parts: this.parts, total: this.ids.length };
    const text = stringifyLossless(head);
    return `${text.slice(0, -1)},"tasks":[${texts.join(",")}]}`;
  }
}
