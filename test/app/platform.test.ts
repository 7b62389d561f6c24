/**
 * Every platform protocol through the composed firmware, deterministically: the firmware on the simulated HAL talks
 * MQTT to a simulated broker (test/mqtt/helpers/sim-broker.ts, an independent codec), and the test plays the
 * platform. Spec 003 (a task that acts on the site), spec 004 (a property set), the OTA version report and the
 * periodic status report, all through the same link and store.
 */
import test from "ava";
import { createSimHal } from "../../hal/sim/index";
import { bootFirmware } from "../../src/app/firmware";
import { resolveConfig } from "../../src/config/gateway-config";
import { SimBroker } from "../mqtt/helpers/sim-broker";

const config = resolveConfig({ mqtt: { broker: "mqtt://broker.sim:1883" } });
const PREFIX = "v1/wudun/pk-demo/GW-0001";

function boot() {
  // 2026-03-02 00:00:30 UTC: the task below fires at the next full minute.
  const sim = createSimHal({ seed: 4, wallStartMs: Date.UTC(2026, 2, 2, 0, 0, 30) });
  const broker = new SimBroker(sim.network);
  const firmware = bootFirmware(sim, config);
  const messages = (suffix: string) =>
    broker.received.filter((m) => m.topic.endsWith(suffix)).map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>);
  return { sim, broker, firmware, messages };
}

test("spec 003: a task added over MQTT is persisted, runs its action on the device layer and reports the run truthfully", (t) => {
  const { sim, broker, firmware, messages } = boot();
  sim.loop.runFor(3000);
  t.is(firmware.link.session.status().state, "connected");
  const add = {
    msgid: 628131887239491584n.toString(),
    method: "schedule",
    sn: "GW-0001",
    timestamp: 1772409630,
    "payload ": {
      cmd: "ADD",
      tasks: [
        {
          taskId: "t1",
          enable: 1,
          priority: 1,
          startTime: "",
          endTime: "",
          cycle: { mode: "cron", dstEnable: 1, cron: "0 * * * * ?" },
          actions: [{ method: "operate_raw", payload: { addr: "3", portid: "1", meteraddr: "1", functionid: "ess_setpoint_kw", value: -20 } }],
        },
      ],
    },
  };
  // The msgid is a 64-bit integer on the wire: send it as a bare number, not a string.
  const text = JSON.stringify(add).replace('"628131887239491584"', "628131887239491584");
  broker.publish(`${PREFIX}/schedule/command`, text, 1);
  sim.loop.runFor(2000);
  const results = broker.received.filter((m) => m.topic === `${PREFIX}/schedule/result`).map((m) => m.payload.toString());
  t.is(results.length, 1);
  t.regex(results[0], /"msgid":628131887239491584/, "the 64-bit msgid comes back exact");
  t.is((JSON.parse(results[0]) as { res: number }).res, 1, results[0]);
  t.is(firmware.store.tasks.size, 1, "persisted before the reply");

  sim.loop.runFor(60_000);
  const events = messages("schedule/event/post");
  t.true(events.length >= 1, "the run is reported");
  const event = (events[0].payload as { events: { payload: { res: number; errcode: string; msg: string; task: { taskId: string } } }[] }).events[0].payload;
  // No strategy controls ESS 3 here (no spec 000 command, no site): the base setpoint would act on nothing, so the
  // run is reported as failed, with the rule in msg, and nothing is kept (test/app/device-points.test.ts: on a site).
  t.is(event.res, 0);
  t.is(event.errcode, "5027");
  t.regex(event.msg, /no spec 000 strategy controls ESS 3/);
  t.is(event.task.taskId, "t1");
  t.true(Number.isNaN(firmware.points.essBaseW(3)), "nothing was set");
});

test("spec 004 set, OTA version and status report share the link", (t) => {
  const { sim, broker, firmware, messages } = boot();
  sim.loop.runFor(3000);
  broker.publish(`/sys/pk-demo/GW-0001/thing/service/property/set`, JSON.stringify({ id: "77", version: "1.0", params: { report_interval_s: 10 } }), 1);
  sim.loop.runFor(25_000);
  const replies = messages("thing/service/property/set_reply");
  t.is(replies.length, 1, broker.received.map((m) => m.topic).join("\n"));
  t.is(replies[0].code, 200);
  t.is(firmware.settings.values.report_interval_s, 10);
  t.true(messages("ota/version/post").length >= 1, "the running version is reported after connecting");
  const reports = messages("report/post");
  t.true(reports.length >= 3, `status reports every 10 s now: ${reports.length}`);
  t.is((reports[reports.length - 1] as { device_uid: string }).device_uid, "GW-0001");
});
