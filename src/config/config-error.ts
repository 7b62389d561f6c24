/** A configuration value is wrong; `path` names it (e.g. "control.periodMs"). */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`config ${path}: ${problem}`);
    this.name = "ConfigError";
  }
}
