import { world } from "./world";

/** Pin writes as (pin, value, ms) into a preallocated log. */
export const pinLog = {
  pins: new Int32Array(256),
  values: new Int32Array(256),
  times: new Float64Array(256),
  count: 0,
  clear(): void {
    this.count = 0;
  },
};

export default class Digital {
  static readonly Input = 0;
  static readonly Output = 8;
  private readonly pin: number;
  constructor(options: { pin: number; mode: number }) {
    this.pin = options.pin;
  }
  write(value: 0 | 1): void {
    const log = pinLog;
    const at = log.count++ % 256;
    log.pins[at] = this.pin;
    log.values[at] = value;
    log.times[at] = world.now;
  }
  read(): 0 | 1 {
    return 0;
  }
  close(): void {}
}
