/** The composed firmware on the simulated HAL: boot order, settings taking effect live and across a reboot. */
import test from "ava";
import { createSimHal } from "../../hal/sim/index";
import { bootFirmware } from "../../src/app/firmware";
import { resolveConfig } from "../../src/config/gateway-config";
import { ChangeSet } from "../../src/settings/change-set";

const config = resolveConfig();

function setSettings(firmware: ReturnType<typeof bootFirmware>, values: Record<string, unknown>): void {
  const change = new ChangeSet();
  for (const [name, value] of Object.entries(values)) {
    const problem = firmware.settings.stage(change, name, value, -1, "");
    if (problem) throw new Error(problem.message);
  }
  const outcome = firmware.settings.commit(change);
  if ("refusal" in outcome) throw new Error(outcome.message);
}

test("boots every part on an empty store and runs offline without errors", (t) => {
  const sim = createSimHal({ seed: 2 });
  const firmware = bootFirmware(sim, config);
  sim.loop.runFor(10_000);
  const status = firmware.gateway.status();
  t.is(status.ticks, 40);
  t.false("service_errors" in status.counters, sim.simLog.lines.join("\n"));
  t.is(firmware.control.cycles, 40);
  t.true(firmware.link.session.status().stats !== undefined);
  t.is(firmware.ota.status().phase, "idle");
});

test("settings take effect live (period, stale time, log level) and persist across a reboot", (t) => {
  const sim = createSimHal({ seed: 2 });
  const firmware = bootFirmware(sim, config);
  sim.loop.runFor(1000);
  setSettings(firmware, { control_period_ms: 500, meter_silence_timeout_ms: 4000, log_level: 0 });
  const ticksBefore = firmware.gateway.status().ticks;
  sim.loop.runFor(10_000);
  t.is(firmware.gateway.status().ticks - ticksBefore, 20, "ticks at the new 500 ms period");
  t.is(firmware.control.config.options.periodMs, 500);
  t.is(firmware.control.config.options.staleMs, 4000);
  const linesBefore = sim.simLog.lines.length;
  sim.loop.runFor(120_000); // MQTT reconnect attempts log at Info: filtered at level 0 (errors only)
  t.is(sim.simLog.lines.length, linesBefore);

  // Reboot on the same flash: the persisted period applies from the first tick.
  const again = createSimHal({ seed: 3, flash: sim.flashProvider });
  const rebooted = bootFirmware(again, config);
  again.loop.runFor(10_000);
  t.is(rebooted.gateway.status().ticks, 20);
  t.is(rebooted.control.config.options.periodMs, 500);
});
