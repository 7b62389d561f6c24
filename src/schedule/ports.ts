/**
 * What the scheduler needs from the rest of the gateway: the flash store, the device layer, the platform outbox and
 * the live device properties. Each is an interface so the scheduler stays sans-I/O and testable; the adapters live
 * with the capability that owns the real thing (store, devices, MQTT).
 */
import type { LazyList } from "../core/lazy-list";

/** One stored task: the spec-003 task object, normalised, as JSON text. */
export interface TaskRecord {
  taskId: string;
  json: string;
}

/** A command's reply, remembered in the same atomic write as the command's change (redelivered commands). */
export interface RememberedReply {
  mid: string;
  text: string;
}

/**
 * Persistent task storage. Every method is synchronous (flash writes are) and either completes or throws, changing
 * nothing; a command is acknowledged only after its call returned. `apply` and `replaceAll` may be given the reply
 * to remember with the change, so a redelivered command (same msgid) is answered the same without applying twice.
 */
export interface TaskRepository {
  /** Ids of every stored task (boot, READ_ALL). */
  list(): string[];
  /** The stored JSON of one task, or null. */
  get(taskId: string): string | null;
  /** Create or replace one task, atomically. */
  put(record: TaskRecord): void;
  /** Remove one task (no error when absent). */
  delete(taskId: string): void;
  /** Write and remove several tasks in one atomic step (ADD/UPDATE/DELETE/ENABLE/ENABLE_ALL). */
  apply(put: LazyList<TaskRecord>, remove: readonly string[], remember?: RememberedReply): void;
  /** Replace the whole set atomically: after a power cut either the old set or the new one is stored. */
  replaceAll(records: LazyList<TaskRecord>, remember?: RememberedReply): void;
  /** The reply remembered for command `mid`, or null (a bounded number of recent ones are kept). */
  recentReply(mid: string): string | null;
}

/** A RAM-only repository with the same contract (tests, hosts without flash). Nothing survives a reboot. */
export class MemoryTaskRepository implements TaskRepository {
  readonly records = new Map<string, string>();
  readonly replies: RememberedReply[] = [];
  /** Make the next write throw, as a full or failing store would (tests). */
  failNext: string | null = null;
  writes = 0;

  constructor(readonly replyCapacity = 16) {}

  recentReply(mid: string): string | null {
    for (const reply of this.replies) if (reply.mid === mid) return reply.text;
    return null;
  }

  private remember(reply: RememberedReply | undefined): void {
    if (!reply) return;
    this.replies.push(reply);
    if (this.replies.length > this.replyCapacity) this.replies.shift();
  }

  list(): string[] {
    return Array.from(this.records.keys());
  }

  get(taskId: string): string | null {
    return this.records.get(taskId) ?? null;
  }

  put(record: TaskRecord): void {
    this.check();
    this.records.set(record.taskId, record.json);
  }

  delete(taskId: string): void {
    this.check();
    this.records.delete(taskId);
  }

  apply(put: LazyList<TaskRecord>, remove: readonly string[], remember?: RememberedReply): void {
    this.check();
    for (const taskId of remove) this.records.delete(taskId);
    for (let i = 0; i < put.length; i++) {
      const record = put.at(i);
      this.records.set(record.taskId, record.json);
    }
    this.remember(remember);
  }

  replaceAll(records: LazyList<TaskRecord>, remember?: RememberedReply): void {
    this.check();
    this.records.clear();
    for (let i = 0; i < records.length; i++) {
      const record = records.at(i);
      this.records.set(record.taskId, record.json);
    }
    this.remember(remember);
  }

  private check(): void {
    this.writes++;
    if (this.failNext !== null) {
      const message = this.failNext;
      this.failNext = null;
      throw new Error(message);
    }
  }
}

/** spec-003 action methods. */
export type ActionMethod = "operate" | "operate_raw" | "transport";

/**
 * The device layer's side of a task's actions. `execute` starts one action and calls `done` exactly once, with null
 * on success or the platform error code (a numeric string, src/schedule/codes.ts) on failure, and `msg`: the detail
 * the run event carries (what was written, what the device answered, which rule refused it); it may call `done`
 * before returning. The scheduler runs a task's actions one after the other and gives up on an action that has not
 * finished within its timeout.
 */
export interface DeviceActions {
  execute(method: ActionMethod, payload: Record<string, unknown>, done: (errcode: string | null, msg?: string) => void): void;
}

/** The spec-003 `event` message reporting one task run. */
export interface ScheduleEventMessage {
  msgid: number;
  method: "event";
  sn: string;
  timestamp: number;
  payload: {
    events: {
      code: "schedule";
      addr: string;
      endpoint: "GATEWAY";
      /** `msg`: the actions' detail (ours: spec 003 defines none), e.g. a device's answer or the rule that refused. */
      payload: { res: 0 | 1; errcode: string; msg: string; task: unknown };
    }[];
  };
}

/**
 * Where run reports go (the MQTT outbox). `post` returns true once the message is accepted for delivery (the
 * outbox queues it while offline); false means it cannot take it now: the scheduler keeps it and retries.
 */
export interface ScheduleEventSink {
  post(message: ScheduleEventMessage): boolean;
}

/**
 * Live device properties for trigger conditions. `resolve` interns a (target, id, property) triple once, when a
 * task is loaded, and returns a handle that stays valid even if the device appears later; `read` returns the
 * current value or NaN when it is absent (device unknown, offline, never read). `read` must not allocate.
 */
export interface PropertySource {
  resolve(target: "addr" | "groupid", id: string, property: string): number;
  read(handle: number): number;
}

/** A PropertySource over a plain table (tests, the simulation). */
export class TablePropertySource implements PropertySource {
  private readonly keys: string[] = [];
  private readonly values: Float64Array;

  constructor(readonly capacity = 256) {
    this.values = new Float64Array(capacity).fill(NaN);
  }

  resolve(target: "addr" | "groupid", id: string, property: string): number {
    const key = `${target}:${id}:${property}`;
    let handle = this.keys.indexOf(key);
    if (handle < 0) {
      if (this.keys.length === this.capacity) throw new Error(`TablePropertySource: more than ${this.capacity} properties`);
      handle = this.keys.push(key) - 1;
    }
    return handle;
  }

  read(handle: number): number {
    return this.values[handle];
  }

  /** Set a value (NaN = absent); resolves the key if needed. */
  set(target: "addr" | "groupid", id: string, property: string, value: number): void {
    this.values[this.resolve(target, id, property)] = value;
  }
}
