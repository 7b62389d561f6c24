/**
 * The tasks of one SET / ADD / UPDATE, validated one at a time and kept only as what the store and the table need
 * (id, JSON text, table sizes), never as a list of parsed or compiled task objects.
 *
 * Why: on the device every object is XS heap slots (4,000 in all). Parsed at once, a 30-task SET is ~750 slots of
 * JSON tree, and its compiled tasks (with their normalised copies) ~1,000 more: measured in the SDK's simulator, the
 * command alone took the gateway from 2,200 live slots to over 4,000 and aborted it. Here a command's tasks come
 * from a TaskSource that parses one element of the command text at a time (src/protocol/json-spans.ts), each is
 * compiled, reduced to its record, and dropped; after the commit the table installs them by compiling each record
 * again, one at a time. Compiling twice costs XS steps at command rate; it saves a task's compiled form (~20 slots)
 * for every task of the command.
 */
import { elementSpans, memberSpan } from "../protocol/json-spans";
import type { TaskRecord } from "./ports";
import type { CompiledTask } from "./task";
import { W_FLAGS } from "./cron";
import { wordsOf } from "./task-table";

/** The tasks array of a command, element by element. */
export interface TaskSource {
  readonly length: number;
  /** Element `i`, parsed now (a fresh tree each call). Throws SyntaxError for an element that is not JSON. */
  at(i: number): unknown;
}

/** A command parsed whole (tests, tools, texts the scanner declined). */
export class ArrayTaskSource implements TaskSource {
  constructor(private readonly list: readonly unknown[]) {}
  get length(): number {
    return this.list.length;
  }
  at(i: number): unknown {
    return this.list[i];
  }
}

/** Elements still in the command text: `spans` holds [start, end) per element. */
export class TextTaskSource implements TaskSource {
  constructor(
    private readonly text: string,
    private readonly spans: Uint32Array,
  ) {}
  get length(): number {
    return this.spans.length >>> 1;
  }
  at(i: number): unknown {
    return JSON.parse(this.text.slice(this.spans[2 * i], this.spans[2 * i + 1]));
  }
}

/** A spec 003 command text split into its envelope (with `payload.tasks` as `[]`) and its tasks. */
export interface SplitCommand {
  envelope: string;
  tasks: TextTaskSource;
}

/**
 * Split when the command has one `payload` (or "payload ") object with one `tasks` array of at most `maxTasks`
 * elements, written plainly; otherwise null, and the caller parses the whole text (which then reports any error).
 */
export function splitTaskCommand(text: string, maxTasks: number): SplitCommand | null {
  let at = 0;
  while (at < text.length && text.charCodeAt(at) <= 0x20) at++;
  const payload = memberSpan(text, at, "payload", "payload ");
  if (payload === null) return null;
  const tasks = memberSpan(text, payload[0], "tasks");
  if (tasks === null) return null;
  const spans = elementSpans(text, tasks[0], tasks[1], maxTasks);
  if (spans === null) return null;
  return { envelope: `${text.slice(0, tasks[0])}[]${text.slice(tasks[1])}`, tasks: new TextTaskSource(text, spans) };
}

/** What a batch needs of the table and the store, gathered while its tasks are compiled one by one. */
export class TaskBatch {
  readonly records: TaskRecord[] = [];
  /** Cron pool words and trigger nodes the batch's tasks take in the table. */
  words = 0;
  triggerNodes = 0;
  /** Index of the first task whose id an earlier task of the batch already has; -1 when none. */
  duplicateAt = -1;

  get length(): number {
    return this.records.length;
  }

  /** Compile every task of `source` with `compile` (which throws TaskError naming the field), keeping its record. */
  static compile(source: TaskSource, compile: (raw: unknown, index: number) => CompiledTask): TaskBatch {
    const batch = new TaskBatch();
    for (let i = 0; i < source.length; i++) {
      const task = compile(source.at(i), i);
      if (batch.duplicateAt < 0 && batch.indexOf(task.taskId) >= 0) batch.duplicateAt = i;
      batch.records.push({ taskId: task.taskId, json: task.json });
      batch.words += wordsOf(task.kind, task.words[W_FLAGS]);
      batch.triggerNodes += task.trigger ? task.trigger.length : 0;
    }
    return batch;
  }

  indexOf(taskId: string): number {
    const records = this.records;
    for (let i = 0; i < records.length; i++) if (records[i].taskId === taskId) return i;
    return -1;
  }
}
