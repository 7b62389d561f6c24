/** A task (or command) field is wrong: `field` is its path, e.g. `tasks[2].cycle.weekday[1]`. Nothing was changed. */
export class TaskError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = "TaskError";
  }
}
