import type { Counters } from "../core/counters";
import { columns } from "../core/columns";
import { deepFreeze } from "../core/freeze";

/**
 * What a transport has seen, as plain numbers for tests and status, mirrored into the gateway's Counters (when
 * given) under `modbus_<name>_<figure>` so bus trouble shows in the status report.
 */
export class TransportStats {
  /** The figures in the order of Stat, one typed-array column, so a bump is one indexed add (no switch). */
  private readonly values: Float64Array;
  private readonly handles: Int32Array;

  constructor(
    name: string,
    private readonly counters: Counters | null,
  ) {
    const cols = columns([["f64", 8], ["i32", 8]]);
    this.values = cols[0] as Float64Array;
    this.handles = cols[1] as Int32Array;
    if (counters) {
      const figures = ["requests", "ok", "exceptions", "timeouts", "bad_responses", "retries", "refused", "stray_bytes"];
      for (let i = 0; i < figures.length; i++) this.handles[i] = counters.register(`modbus_${name}_${figures[i]}`);
    }
  }

  get requests(): number {
    return this.values[0];
  }
  get ok(): number {
    return this.values[1];
  }
  get exceptions(): number {
    return this.values[2];
  }
  get timeouts(): number {
    return this.values[3];
  }
  get badResponses(): number {
    return this.values[4];
  }
  get retries(): number {
    return this.values[5];
  }
  get refused(): number {
    return this.values[6];
  }
  /** Bytes that arrived when no answer was expected, or after a complete answer (late or stray traffic). */
  get strayBytes(): number {
    return this.values[7];
  }

  /** Bump figure `index` (a Stat) by `amount` (pass 1 explicitly: a default parameter costs XS steps per call). */
  bump(index: number, amount: number): void {
    this.values[index] += amount;
    const counters = this.counters;
    if (counters !== null) counters.add(this.handles[index], amount);
  }
}

export const Stat = deepFreeze({ Requests: 0, Ok: 1, Exceptions: 2, Timeouts: 3, BadResponses: 4, Retries: 5, Refused: 6, StrayBytes: 7 } as const);
