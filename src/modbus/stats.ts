import type { Counters } from "../core/counters";
import { deepFreeze } from "../core/freeze";

/**
 * What a transport has seen, as plain numbers for tests and status, mirrored into the gateway's Counters (when
 * given) under `modbus_<name>_<figure>` so bus trouble shows in the status report.
 */
export class TransportStats {
  requests = 0;
  ok = 0;
  exceptions = 0;
  timeouts = 0;
  badResponses = 0;
  retries = 0;
  refused = 0;
  /** Bytes that arrived when no answer was expected, or after a complete answer (late or stray traffic). */
  strayBytes = 0;
  private readonly handles: Int32Array;

  constructor(
    name: string,
    private readonly counters: Counters | null,
  ) {
    this.handles = new Int32Array(8);
    if (counters) {
      const figures = ["requests", "ok", "exceptions", "timeouts", "bad_responses", "retries", "refused", "stray_bytes"];
      for (let i = 0; i < figures.length; i++) this.handles[i] = counters.register(`modbus_${name}_${figures[i]}`);
    }
  }

  /** Bump figure `index` (the order of the fields above) by `amount`. */
  bump(index: number, amount = 1): void {
    switch (index) {
      case 0:
        this.requests += amount;
        break;
      case 1:
        this.ok += amount;
        break;
      case 2:
        this.exceptions += amount;
        break;
      case 3:
        this.timeouts += amount;
        break;
      case 4:
        this.badResponses += amount;
        break;
      case 5:
        this.retries += amount;
        break;
      case 6:
        this.refused += amount;
        break;
      default:
        this.strayBytes += amount;
    }
    if (this.counters) this.counters.add(this.handles[index], amount);
  }
}

export const Stat = deepFreeze({ Requests: 0, Ok: 1, Exceptions: 2, Timeouts: 3, BadResponses: 4, Retries: 5, Refused: 6, StrayBytes: 7 } as const);
