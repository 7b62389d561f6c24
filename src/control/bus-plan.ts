/**
 * A cycle that fits its bus. An RS-485 bus carries one request at a time, so the bus time a control cycle needs is
 * known from the baud and the register counts (src/modbus/timing.ts). When that is more than the period allows,
 * the old behaviour was to decide without the devices' reads ("forced") and to skip reads at random. The plan here
 * chooses, once per configuration:
 *
 * 1. The meter is read every cycle: the grid reading is what anti-backflow acts on.
 * 2. Every device is read before the cycle's decision, which needs their actual power of now: deciding on older
 *    device readings was measured to double the export after a load drop. So reads are kept whole as long as
 *    anything fits: first the writes a cycle sends are bounded (`writesPerCycle`: the largest changes go first,
 *    the rest next cycle, counted as deferred; ControlGroup.decide), and only then are device reads spread over
 *    `readEvery` cycles, each device on its own turn (staggered), its last reading kept with its time.
 * 3. If the meter, one device read and one write per cycle at the slowest spread (MAX_READ_EVERY) do not fit, the
 *    period is stretched to what the bus carries (with every write), in 10 ms steps, and the configuration
 *    problems say so.
 *
 * "Fits" means within `share` of the period (ControlLoopConfig.busShare, default 0.9): the rest is left for retries,
 * scheduled point requests (src/app/device-points.ts) and timing jitter. Writes are planned at `writesPerCycle`
 * every cycle, which steady cycles (nothing changed, no keep-alive due) do not reach. Pure functions, configuration
 * rate.
 */

/** The default share of a period a cycle's planned traffic may take. */
export const DEFAULT_BUS_SHARE = 0.9;
/** Device reads are spread over at most this many cycles (at 250 ms: each device read at least once a second). */
export const MAX_READ_EVERY = 4;

/** What one bus carries per cycle, in ms of wire time (turnarounds included). */
export interface BusLoad {
  /** The meter's reads of one cycle (every cycle). */
  meterMs: number;
  /** Every device's reads of one cycle, summed. */
  deviceReadMs: number;
  /** Devices whose reads make up deviceReadMs. */
  devices: number;
  /** Every device's command write, summed (what a cycle needs when every command changed). */
  writeMs: number;
}

export interface BusSchedule {
  /** Each device is read every this many cycles (1: every cycle). */
  readEvery: number;
  /** Most command writes a cycle sends (the number of devices: all of them). */
  writesPerCycle: number;
  /** Planned bus time of the busiest cycle at that spread, ms. */
  cycleMs: number;
  /** The period this bus needs: the configured one, or longer when it had to stretch. */
  periodMs: number;
}

/** Bus time of the busiest cycle when device reads are spread over `readEvery` cycles and at most `writes` are sent. */
export function cycleMs(load: BusLoad, readEvery: number, writes = load.devices): number {
  if (load.devices === 0) return load.meterMs;
  // Staggered: a cycle reads at most ceil(devices / readEvery) of them; reads and writes at their mean time.
  const reads = Math.ceil(load.devices / readEvery);
  const written = Math.min(writes, load.devices);
  return load.meterMs + (load.deviceReadMs * reads + load.writeMs * written) / load.devices;
}

/** The spread, the writes per cycle and the period for one bus at `periodMs`. */
export function scheduleBus(load: BusLoad, periodMs: number, share = DEFAULT_BUS_SHARE): BusSchedule {
  const budget = share * periodMs;
  const n = load.devices;
  const most = n > 1 ? Math.min(MAX_READ_EVERY, n) : 1;
  for (let readEvery = 1; readEvery <= most; readEvery++) {
    for (let writes = n; writes >= 1; writes--) {
      const ms = cycleMs(load, readEvery, writes);
      if (ms <= budget) return { readEvery, writesPerCycle: writes, cycleMs: ms, periodMs };
    }
  }
  if (n === 0 && load.meterMs <= budget) return { readEvery: 1, writesPerCycle: 0, cycleMs: load.meterMs, periodMs };
  const ms = cycleMs(load, most, n);
  return { readEvery: most, writesPerCycle: n, cycleMs: ms, periodMs: Math.ceil(ms / share / 10) * 10 };
}
