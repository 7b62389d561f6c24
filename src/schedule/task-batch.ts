/**
 * The tasks of one SET / ADD / UPDATE, validated one at a time and kept only as what the store and the table need
 * (id, JSON text, table sizes), never as a list of parsed or compiled task objects.
 *
 * Why: on the device every object is XS heap slots (4,000 in all). Parsed at once, a 30-task SET is ~750 slots of
 * JSON tree, and its compiled tasks (with their normalised copies) ~1,000 more: measured in the SDK's simulator, the
 * command alone took the gateway from 2,200 live slots to over 4,000 and aborted it. Here a command's tasks come
 * from a TaskSource that parses one element of the command text at a time (src/protocol/json-spans.ts), each is
 * compiled, checked and dropped, keeping its id; the store's transaction compiles each again to write its record,
 * and after the commit the table installs each compiled once more, one at a time. Compiling three
 * times costs XS steps at command rate; it saves a task's compiled form (~20 slots) and its text (~250 B) for every
 * task of the command.
 */
import { deepFreeze } from "../core/freeze";
import { splitArrayMember, type JsonElements, type SplitMessage } from "../protocol/json-spans";
import type { LazyList } from "../core/lazy-list";
import type { TaskRecord } from "./ports";
import type { CompiledTask } from "./task";
import { W_FLAGS } from "./cron";
import { wordsOf } from "./task-table";

/** The tasks array of a command, element by element (json-spans.ts). */
export type TaskSource = JsonElements;

/** Spec 003's tasks: `payload.tasks`, the payload key also spelled "payload " as in the spec's examples. */
const TASKS_PATH = deepFreeze([["payload", "payload "], ["tasks"]]);

/**
 * Split a command text into its envelope and its tasks when the scanner is sure of it (json-spans.ts); null: parse
 * the whole text, as before.
 */
export function splitTaskCommand(text: string, maxTasks: number): SplitMessage | null {
  return splitArrayMember(text, TASKS_PATH, maxTasks);
}

/**
 * What a batch needs of the table and the store, gathered while its tasks are compiled one by one. Its records are
 * a LazyList: the store gets each task's text compiled again from the command text when it takes it, so the texts
 * of a 30-task SET (~7 KB) are never all in the heap beside the command that carried them.
 */
export class TaskBatch implements LazyList<TaskRecord> {
  /** Task id per task of the command, in order. */
  readonly ids: string[] = [];
  /** Cron pool words and trigger nodes the batch's tasks take in the table. */
  words = 0;
  triggerNodes = 0;
  /** Index of the first task whose id an earlier task of the batch already has; -1 when none. */
  duplicateAt = -1;

  private constructor(
    private readonly source: TaskSource,
    private readonly compileTask: (raw: unknown, index: number) => CompiledTask,
  ) {}

  get length(): number {
    return this.ids.length;
  }

  /** Compile every task of `source` with `compile` (which throws TaskError naming the field), keeping its id. */
  static compile(source: TaskSource, compile: (raw: unknown, index: number) => CompiledTask): TaskBatch {
    const batch = new TaskBatch(source, compile);
    for (let i = 0; i < source.length; i++) {
      const task = compile(source.at(i), i);
      if (batch.duplicateAt < 0 && batch.indexOf(task.taskId) >= 0) batch.duplicateAt = i;
      batch.ids.push(task.taskId);
      batch.words += wordsOf(task.kind, task.words[W_FLAGS]);
      batch.triggerNodes += task.trigger ? task.trigger.length : 0;
    }
    return batch;
  }

  /** Task `index` compiled again from the command text (what the table installs after the commit). */
  task(index: number): CompiledTask {
    return this.compileTask(this.source.at(index), index);
  }

  /** Task `index`'s record (id and normalised JSON), compiled again from the command text: what the store writes. */
  at(index: number): TaskRecord {
    // Not through task(): this runs inside the store transaction, the device's deepest stack path; a frame less.
    const task = this.compileTask(this.source.at(index), index);
    return { taskId: task.taskId, json: task.json };
  }

  indexOf(taskId: string): number {
    return this.ids.indexOf(taskId);
  }
}
