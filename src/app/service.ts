/**
 * A part of the firmware that runs on the control tick (control loop, scheduler, MQTT session timers, ...).
 * `tick` must not allocate in steady state and must return within the tick budget.
 */
export interface TickService {
  readonly name: string;
  tick(nowMs: number): void;
}
