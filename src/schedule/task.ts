/**
 * The spec-003 task model: validation of a platform task object (every error names its field path), its
 * normalised form (what is stored, returned by READ and reported in run events) and its compiled form (what the
 * scheduler's fixed task table holds).
 *
 * Choices where spec 003 is silent (see docs/schedule.md): `priority` defaults to 1 and a larger number wins;
 * `enable` defaults to 1 and `dstEnable` to 1; empty `startTime`/`endTime` are "", null or absent and are stored as
 * null; times are Unix seconds; `time` may carry an offset after sunrise/sunset (`"sunset-00:30"`,
 * `"sunrise+01:15:00"`); a `period` of week/month ignores the other list; trigger tasks without `period` run every
 * day; `monthday` 31 does not fire in shorter months (as in cron).
 */
import { CRON_WORDS, CronError, FLAG_DOM, FLAG_DOW, W_DOM_DAYS, W_DOW_DAYS, W_FLAGS, W_HOURS, W_MIN_HI, W_MIN_LO, W_MONTHS, W_SEC_HI, W_SEC_LO, parseCronInto } from "./cron";
import type { ActionMethod, PropertySource } from "./ports";
import { TaskError } from "./task-error";
import { compileTrigger, parseTimeOfDay, type TriggerProgram } from "./trigger";
import { deepFreeze } from "../core/freeze";

export const KIND_TIME = 0;
export const KIND_SUNRISE = 1;
export const KIND_SUNSET = 2;
export const KIND_CRON = 3;
export const KIND_TRIGGER = 4;

/** Latest accepted timestamp (2200-01-01): catches milliseconds sent where seconds are meant. */
export const MAX_TIMESTAMP = 7_258_118_400;
export const MAX_TASK_ID_LENGTH = 64;
export const MAX_PRIORITY = 1_000_000;
export const MAX_SUN_OFFSET = 12 * 3600;

export interface TaskLimits {
  /** Largest stored JSON of one task. */
  maxTaskBytes: number;
  /** Most actions one task may have. */
  maxActions: number;
  /** Optional check of an action's payload by the device layer: a problem text, or null when fine. */
  checkAction?: (method: ActionMethod, payload: Record<string, unknown>) => string | null;
}

export const DEFAULT_TASK_LIMITS: TaskLimits = deepFreeze({ maxTaskBytes: 4096, maxActions: 16 });

/** A validated task, ready for the task table (command rate object). */
export interface CompiledTask {
  taskId: string;
  enable: boolean;
  priority: number;
  /** Unix seconds; 0 = effective immediately. */
  startTime: number;
  /** Unix seconds; 0 = never expires. */
  endTime: number;
  kind: number;
  once: boolean;
  /** false: evaluated at standard time all year (`dstEnable = 0`). */
  followDst: boolean;
  /** Seconds added to a sunrise/sunset. */
  sunOffset: number;
  /** Cron words: the full expression (time, cron) or only the day filter (sun, trigger). */
  words: Int32Array;
  trigger: TriggerProgram | null;
  /**
   * The normalised task as JSON text (what the store keeps). The normalised object itself is not kept: a command
   * compiles all its tasks before it commits, and one object tree per task is what a 30-task SET cannot afford in
   * the device's 4,000 heap slots.
   */
  json: string;
}

const ACTION_METHODS = deepFreeze(["operate", "operate_raw", "transport"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function flag(value: unknown, path: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === 0 || value === 1) return value;
  if (value === true || value === false) return value ? 1 : 0;
  throw new TaskError(path, "must be 1 or 0");
}

/** "", null or absent -> null; otherwise whole Unix seconds (a numeric string is accepted). */
function timestamp(value: unknown, path: string): number | null {
  if (value === undefined || value === null || value === "") return null;
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new TaskError(path, "must be Unix seconds, or empty");
  if (n > MAX_TIMESTAMP) throw new TaskError(path, `${n} is after 2200 (milliseconds instead of seconds?)`);
  return n;
}

function intList(value: unknown, path: string, min: number, max: number): number[] {
  if (!Array.isArray(value) || value.length === 0) throw new TaskError(path, `must be a non-empty array of ${min}-${max}`);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new TaskError(`${path}[${i}]`, `must be an integer ${min}-${max}`);
  }
  return value as number[];
}

/**
 * Validate and compile one task object. `path` prefixes field names in errors (e.g. "tasks[3]"). Throws TaskError;
 * allocates freely (command rate).
 */
export function compileTask(raw: unknown, path: string, properties: PropertySource, limits: TaskLimits = DEFAULT_TASK_LIMITS): CompiledTask {
  if (!isPlainObject(raw)) throw new TaskError(path, "must be an object");
  const task: Record<string, unknown> = { ...raw };
  let taskId = raw.taskId;
  if (typeof taskId === "number" && Number.isInteger(taskId)) taskId = String(taskId);
  if (typeof taskId !== "string" || taskId.length === 0) throw new TaskError(`${path}.taskId`, "must be a non-empty string");
  if (taskId.length > MAX_TASK_ID_LENGTH) throw new TaskError(`${path}.taskId`, `longer than ${MAX_TASK_ID_LENGTH} characters`);
  task.taskId = taskId;
  const enable = flag(raw.enable, `${path}.enable`, 1);
  task.enable = enable;
  const rawPriority = raw.priority === undefined || raw.priority === null ? 1 : raw.priority;
  if (typeof rawPriority !== "number" || !Number.isInteger(rawPriority) || rawPriority < 0 || rawPriority > MAX_PRIORITY) {
    throw new TaskError(`${path}.priority`, `must be an integer 0-${MAX_PRIORITY}`);
  }
  const priority = rawPriority;
  task.priority = priority;
  const startTime = timestamp(raw.startTime, `${path}.startTime`);
  const endTime = timestamp(raw.endTime, `${path}.endTime`);
  if (startTime !== null && endTime !== null && endTime <= startTime) throw new TaskError(`${path}.endTime`, "must be after startTime");
  task.startTime = startTime;
  task.endTime = endTime;

  const compiled: CompiledTask = {
    taskId,
    enable: enable === 1,
    priority,
    startTime: startTime ?? 0,
    endTime: endTime ?? 0,
    kind: KIND_TIME,
    once: false,
    followDst: true,
    sunOffset: 0,
    words: new Int32Array(CRON_WORDS),
    trigger: null,
    json: "",
  };
  compileCycle(raw.cycle, `${path}.cycle`, compiled, properties);
  task.cycle = { ...(raw.cycle as Record<string, unknown>), dstEnable: compiled.followDst ? 1 : 0 };
  checkActions(raw.actions, `${path}.actions`, limits);
  compiled.json = JSON.stringify(task);
  if (compiled.json.length > limits.maxTaskBytes) throw new TaskError(path, `task is ${compiled.json.length} bytes of JSON, more than ${limits.maxTaskBytes}`);
  return compiled;
}

function compileCycle(cycle: unknown, path: string, out: CompiledTask, properties: PropertySource): void {
  if (!isPlainObject(cycle)) throw new TaskError(path, "must be an object");
  out.followDst = flag(cycle.dstEnable, `${path}.dstEnable`, 1) === 1;
  const mode = cycle.mode;
  const words = out.words;
  if (mode === "cron") {
    if (typeof cycle.cron !== "string") throw new TaskError(`${path}.cron`, "must be a Quartz cron string");
    try {
      parseCronInto(cycle.cron, words, 0);
    } catch (error) {
      if (error instanceof CronError) throw new TaskError(`${path}.cron`, error.message);
      throw error;
    }
    out.kind = KIND_CRON;
    return;
  }
  if (mode !== "simple" && mode !== "trigger") throw new TaskError(`${path}.mode`, 'must be "simple", "cron" or "trigger"');
  // Day filter (period) shared by simple and trigger tasks.
  const period = cycle.period === undefined && mode === "trigger" ? "day" : cycle.period;
  words[W_MONTHS] = 0xfff;
  if (period === "once") out.once = true;
  else if (period === "week") {
    words[W_FLAGS] |= FLAG_DOW;
    for (const weekday of intList(cycle.weekday, `${path}.weekday`, 1, 7)) words[W_DOW_DAYS] |= 1 << weekday % 7; // 7 = Sunday = bit 0
  } else if (period === "month") {
    words[W_FLAGS] |= FLAG_DOM;
    for (const day of intList(cycle.monthday, `${path}.monthday`, 1, 31)) words[W_DOM_DAYS] |= 1 << (day - 1);
  } else if (period !== "day") throw new TaskError(`${path}.period`, 'must be "once", "day", "week" or "month"');
  if (mode === "trigger") {
    out.kind = KIND_TRIGGER;
    out.trigger = compileTrigger(cycle.trigger, `${path}.trigger`, properties);
    return;
  }
  const time = cycle.time;
  const sun = typeof time === "string" ? /^(sunrise|sunset)(?:([+-])(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(time) : null;
  if (sun) {
    out.kind = sun[1] === "sunrise" ? KIND_SUNRISE : KIND_SUNSET;
    if (sun[2]) {
      const minutes = Number(sun[4]);
      const seconds = sun[5] === undefined ? 0 : Number(sun[5]);
      if (minutes > 59 || seconds > 59) throw new TaskError(`${path}.time`, "offset minutes and seconds must be 00-59");
      const offset = Number(sun[3]) * 3600 + minutes * 60 + seconds;
      if (offset > MAX_SUN_OFFSET) throw new TaskError(`${path}.time`, "offset must be at most 12:00:00");
      out.sunOffset = sun[2] === "-" ? -offset : offset;
    }
    return;
  }
  const secondOfDay = parseTimeOfDay(time);
  if (secondOfDay < 0) throw new TaskError(`${path}.time`, 'must be "HH:MM:SS", "sunrise" or "sunset" (optionally "sunset-00:30")');
  const second = secondOfDay % 60;
  const minute = Math.floor(secondOfDay / 60) % 60;
  words[second < 30 ? W_SEC_LO : W_SEC_HI] = 1 << second % 30;
  words[minute < 30 ? W_MIN_LO : W_MIN_HI] = 1 << minute % 30;
  words[W_HOURS] = 1 << Math.floor(secondOfDay / 3600);
  out.kind = KIND_TIME;
}

function checkActions(actions: unknown, path: string, limits: TaskLimits): void {
  if (!Array.isArray(actions) || actions.length === 0) throw new TaskError(path, "must be a non-empty array");
  if (actions.length > limits.maxActions) throw new TaskError(path, `more than ${limits.maxActions} actions`);
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i];
    if (!isPlainObject(action)) throw new TaskError(`${path}[${i}]`, "must be an object");
    const method = action.method;
    if (typeof method !== "string" || !ACTION_METHODS.includes(method)) throw new TaskError(`${path}[${i}].method`, "must be operate, operate_raw or transport");
    if (!isPlainObject(action.payload)) throw new TaskError(`${path}[${i}].payload`, "must be an object");
    const problem = limits.checkAction ? limits.checkAction(method as ActionMethod, action.payload) : null;
    if (problem) throw new TaskError(`${path}[${i}].payload`, problem);
  }
}
