/** The HAL log behind a level filter: the `log_level` setting (spec 004) changes what reaches it at run time. */
import type { Log, LogLevel } from "../../hal/types";

export class LevelLog implements Log {
  dropped = 0;

  constructor(
    private readonly sink: Log,
    public level: number,
  ) {}

  write(level: LogLevel, source: string, message: string): void {
    if (level > this.level) {
      this.dropped++;
      return;
    }
    this.sink.write(level, source, message);
  }
}
