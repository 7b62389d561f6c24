/**
 * Uplinks that matter survive a reboot (issue 14): schedule result events made while the broker is unreachable are
 * kept on flash (src/app/uplink-journal.ts), and after a reboot they are sent once online, in order, each once,
 * then forgotten when the broker acknowledges them. The journal's bound is counted. Composed firmware, simulated
 * HAL, simulated broker, the same simulated flash across the reboot.
 */
import test from "ava";
import { createSimHal } from "../../hal/sim/index";
import { bootFirmware } from "../../src/app/firmware";
import { resolveConfig } from "../../src/config/gateway-config";
import { SimBroker } from "../mqtt/helpers/sim-broker";

const PREFIX = "v1/wudun/pk-demo/GW-0001";
const config = resolveConfig({ mqtt: { broker: "mqtt://broker.sim:1883" } });
const START = Date.UTC(2026, 2, 2, 0, 0, 30);

/** A task that fires every minute and writes the ESS setpoint. */
function everyMinute(msgid: string): string {
  const task = {
    taskId: "every-minute",
    enable: 1,
    priority: 1,
    startTime: "",
    endTime: "",
    cycle: { mode: "cron", dstEnable: 0, cron: "0 * * * * ?" },
    actions: [{ method: "operate_raw", payload: { addr: "3", portid: "1", meteraddr: "1", functionid: "ess_setpoint_kw", value: -10 } }],
  };
  return JSON.stringify({ msgid, method: "schedule", sn: "GW-0001", timestamp: 1772409630, payload: { cmd: "ADD", tasks: [task] } });
}

/** A gateway online with the every-minute task; then the broker goes away (crashed, refusing connections). */
function bootWithTaskThenOutage(seed: number, msgid: string, onlineMs: number) {
  const sim = createSimHal({ seed, wallStartMs: START });
  const broker = new SimBroker(sim.network);
  const firmware = bootFirmware(sim, config);
  sim.loop.runFor(3000);
  broker.publish(`${PREFIX}/schedule/command`, everyMinute(msgid), 1);
  sim.loop.runFor(onlineMs);
  const online = { events: events(broker).length, uplinksKept: firmware.store.uplinks.size, journalKept: firmware.gateway.status().counters.uplink_journal_kept };
  sim.network.refuseConnections = true;
  broker.crash();
  return { sim, broker, firmware, online };
}

const events = (broker: SimBroker) => broker.received.filter((m) => m.topic === `${PREFIX}/schedule/event/post`).map((m) => m.payload.toString());

test("schedule events made while offline are kept on flash, sent after a reboot in order, each once, then forgotten", (t) => {
  const { sim, broker, firmware, online } = bootWithTaskThenOutage(5, "628131887239491601", 62_000);
  t.true(online.events >= 1, "online, the events go out at once");
  t.is(online.uplinksKept, 0, "acknowledged events are not kept");

  // The broker is gone; three more fires happen offline.
  const before = online.events;
  const keptBefore = online.journalKept;
  sim.loop.runFor(3 * 60_000);
  t.is(events(broker).length, before, "nothing reaches a broker that is down");
  t.is(firmware.store.uplinks.size, 3, "three events kept on flash");
  t.is(firmware.gateway.status().counters.uplink_journal_kept, keptBefore + 3);

  // Power cut: a new device on the same flash, the broker back.
  const again = createSimHal({ seed: 6, wallStartMs: START + 10 * 60_000, flash: sim.flash });
  const broker2 = new SimBroker(again.network);
  const rebooted = bootFirmware(again, config);
  t.is(rebooted.store.uplinks.size, 3, "still on flash after the reboot");
  again.loop.runFor(5000);
  const resent = events(broker2);
  t.true(resent.length >= 3, `${resent.length} events after the reboot`);
  const kept = resent.slice(0, 3).map((text) => JSON.parse(text) as Record<string, unknown>);
  const times = kept.map((e) => e.timestamp as number);
  t.true(times.every((time, i) => typeof time === "number" && (i === 0 || time > times[i - 1])), `in the order they were made: ${times.join(", ")}`);
  t.is(new Set(resent.slice(0, 3)).size, 3, "each once");
  t.is(rebooted.store.uplinks.size, 0, "acknowledged after the reboot: forgotten");
  t.is(rebooted.gateway.status().counters.uplink_journal_resent, 3);
  t.is(broker2.unackedDeliveries, 0);
});

test("the bounds: the journal never holds more than it may, and what it forgets is counted", (t) => {
  const { sim, firmware, online } = bootWithTaskThenOutage(7, "628131887239491602", 2000);
  t.is(online.uplinksKept, 0, "the ADD reply was acknowledged");
  const capacity = firmware.store.uplinkCapacity;
  sim.loop.runFor((capacity + 5) * 60_000);
  const c = firmware.gateway.status().counters;
  t.true(firmware.store.uplinks.size <= capacity, "never more than the journal's bound");
  // Whichever bound is hit first (the journal's, or the RAM outbox's bytes), what is forgotten is counted.
  const forgotten = (c.uplink_journal_evicted ?? 0) + (c.uplink_journal_dropped ?? 0);
  t.true(forgotten >= 5, `${forgotten} forgotten`);
  t.is(c.uplink_journal_kept, firmware.store.uplinks.size + forgotten + 1, "every kept uplink is on flash, forgotten (counted), or acknowledged (the ADD reply)");
  t.is(firmware.store.uplinks.size, firmware.link.session.queuedUplinks, "the journal holds exactly what the outbox still has to send");
});
