/**
 * Boot: compile every stored task into the scheduler's table. A stored task that no longer validates (a firmware
 * with stricter rules, a damaged record) is logged, counted and left out; the others load.
 */
import { LogLevel, type Log } from "../../hal/types";
import type { Counters } from "../core/counters";
import type { PropertySource, TaskRepository } from "./ports";
import type { Scheduler } from "./scheduler";
import { compileTask, DEFAULT_TASK_LIMITS, type TaskLimits } from "./task";

export function loadStoredTasks(
  scheduler: Scheduler,
  repository: TaskRepository,
  properties: PropertySource,
  log: Log,
  counters: Counters,
  limits: TaskLimits = DEFAULT_TASK_LIMITS,
): number {
  const rejected = counters.register("schedule_stored_tasks_rejected");
  let loaded = 0;
  const ids = repository.list();
  // The table's slots grow once for what is stored; the pools grow as the tasks come in.
  scheduler.table.reserve(Math.min(ids.length, scheduler.table.capacity), 0, 0);
  for (const taskId of ids) {
    try {
      const json = repository.get(taskId);
      if (json === null) continue;
      if (scheduler.table.count === scheduler.table.capacity) throw new Error(`task table full (${scheduler.table.capacity})`);
      const task = compileTask(JSON.parse(json), `stored task ${taskId}`, properties, limits);
      if (scheduler.table.triggerUsed + (task.trigger ? task.trigger.length : 0) > scheduler.table.triggerCapacity) throw new Error("trigger pool full");
      scheduler.install(task);
      loaded++;
    } catch (error) {
      counters.add(rejected);
      log.write(LogLevel.Error, "schedule", `stored task ${taskId} not loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return loaded;
}
