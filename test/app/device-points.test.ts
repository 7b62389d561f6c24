/**
 * Scheduled actions and triggers on the simulated site's real devices, through the composed firmware: a platform
 * (simulated broker) sends spec 003 tasks; the gateway writes and reads Modbus points on the simulated RS-485 bus;
 * the run events say what the devices answered (docs/points.md).
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { createSimHal } from "../../hal/sim/index";
import { SimAdw300 } from "../../sim/site/meters";
import { SimSite, type SiteSpec } from "../../sim/site/site";
import { bootFirmware } from "../../src/app/firmware";
import { decodeRequestPdu, responseHex } from "../../src/modbus/pdu-hex";
import { resolveConfig } from "../../src/config/gateway-config";
import { ModbusTransaction, TxStatus } from "../../src/modbus/transaction";
import { SimBroker } from "../mqtt/helpers/sim-broker";

const PREFIX = "v1/wudun/pk-demo/GW-0001";
const HOST_SITE = JSON.parse(readFileSync(new URL("../../boards/host/site.json", import.meta.url), "utf8")) as SiteSpec;
const CREATE = readFileSync(new URL("../../docs/examples/spec-000/create.json", import.meta.url), "utf8");
export const POINT_DEVICES = [
  { addr: "1_1", model: "Acrel-ADW300", groupid: "3_1", ct: 40 },
  { addr: "1_2", model: "sunspec-704", deviceId: 3 },
  { addr: "1_3", model: "sunspec-123" },
];

type Event = { res: number; errcode: string; msg: string; task: { taskId: string } };

function boot(options: { site?: Partial<SiteSpec>; flash?: ReturnType<typeof createSimHal>["flash"]; wallStartMs?: number } = {}) {
  // 2026-03-02 00:00:30 UTC: a cron "0 * * * * ?" task fires 30 s later.
  const sim = createSimHal({ seed: 7, wallStartMs: options.wallStartMs ?? Date.UTC(2026, 2, 2, 0, 0, 30), partitions: { store: { sectorCount: 96 } }, flash: options.flash });
  const site = new SimSite({ ...HOST_SITE, ...options.site }, { loop: sim.loop, bus: sim.bus, network: sim.network, random: sim.simRandom });
  const broker = new SimBroker(sim.network);
  const config = resolveConfig({ rs485: { port: 1, baud: 19200 }, mqtt: { broker: "mqtt://broker.sim:1883" }, points: { devices: POINT_DEVICES } });
  const firmware = bootFirmware(sim, config);
  sim.loop.runFor(3000);
  const events = (): Event[] =>
    broker.received
      .filter((m) => m.topic === `${PREFIX}/schedule/event/post`)
      .map((m) => (JSON.parse(m.payload.toString()) as { payload: { events: { payload: Event }[] } }).payload.events[0].payload);
  let seq = 0;
  const command = (cmd: string, tasks: unknown[]) => {
    const before = broker.received.length;
    broker.publish(`${PREFIX}/schedule/command`, JSON.stringify({ msgid: String(9000 + ++seq), method: "schedule", sn: "GW-0001", timestamp: 1772409630, payload: { cmd, tasks } }), 1);
    sim.loop.runFor(1500);
    const replies = broker.received.slice(before).filter((m) => m.topic === `${PREFIX}/schedule/result`);
    return JSON.parse(replies[0].payload.toString()) as { res: number; errcode: string };
  };
  const strategy = () => {
    broker.publish(`${PREFIX}/streaming_overdemand/create/command`, CREATE, 1);
    sim.loop.runFor(2000);
  };
  return { sim, site, broker, firmware, events, command, strategy };
}

const everyMinute = (taskId: string, actions: unknown[]) => ({
  taskId,
  enable: 1,
  priority: 1,
  startTime: "",
  endTime: "",
  cycle: { mode: "cron", dstEnable: 0, cron: "0 * * * * ?" },
  actions,
});

test("operate FORCESWITCH on a groupid opens the meter's relay; operate_raw Switch closes it again; res 1 after the device's answer", (t) => {
  const { sim, site, events, command } = boot();
  const meter = site.meter as SimAdw300;
  t.true(meter.relayClosed);
  t.is(command("ADD", [everyMinute("open", [{ method: "operate", payload: { method: "FORCESWITCH", ForceSwitch: 0, groupid: "3_1" } }])]).res, 1);
  sim.loop.runFor(30_000);
  t.false(meter.relayClosed, "the relay register was written on the bus");
  const first = events();
  t.is(first.length, 1);
  t.is(first[0].res, 1, JSON.stringify(first[0]));
  t.is(first[0].errcode, "0");
  t.regex(first[0].msg, /ForceSwitch=0 on groupid 3_1: 1_1 acknowledged/);
  command("DELETE", [{ taskId: "open" }]);
  t.is(command("ADD", [everyMinute("close", [{ method: "operate_raw", payload: { addr: "1_1", portid: "1", meteraddr: "1", functionid: "Switch", value: 1 } }])]).res, 1);
  sim.loop.runFor(60_000);
  t.true(meter.relayClosed);
  t.is(events().at(-1)?.res, 1);
});

test("FORCESWITCH on the PCS (SunSpec 703 ES) takes the battery out of service: it stops even under a strategy", (t) => {
  const { sim, site, events, command, strategy } = boot({ site: { load: { points: [[0, 20000]] }, pv: [] } });
  strategy();
  t.is(command("ADD", [everyMinute("charge", [{ method: "operate_raw", payload: { addr: "1_2", functionid: "ess_setpoint_kw", value: -30 } }])]).res, 1);
  sim.loop.runFor(30_000);
  const battery = site.batteries[0].model;
  t.true(battery.actualW < -20_000, `charging at the scheduled base setpoint: ${battery.actualW} W`);
  const setpoint = events()[0];
  t.is(setpoint.res, 1);
  t.regex(setpoint.msg, /ESS 3 base setpoint -30 kW; anti-backflow \(strategy 1, meter 10\) and demand control \(strategy 1, meter 10\) take precedence/);
  command("DELETE", [{ taskId: "charge" }]);
  command("ADD", [everyMinute("stop", [{ method: "operate", payload: { method: "FORCESWITCH", ForceSwitch: 0, addr: "1_2" } }])]);
  sim.loop.runFor(60_000);
  t.is(events().at(-1)?.res, 1, JSON.stringify(events().at(-1)));
  t.true(Math.abs(battery.actualW) < 1000, `out of service: ${battery.actualW} W`);
});

test("refusals: unknown device, unknown point, out of range, the control loop's power register, a device that does not answer", (t) => {
  const { sim, site, events, command } = boot();
  const tasks = [
    ["nodev", { method: "operate_raw", payload: { addr: "1_9", functionid: "Switch", value: 1 } }, "5021", /no device addr 1_9/],
    ["nopoint", { method: "operate_raw", payload: { addr: "1_1", functionid: "Frobnicate", value: 1 } }, "5022", /Acrel-ADW300 has no point Frobnicate/],
    ["range", { method: "operate_raw", payload: { addr: "1_1", functionid: "Switch", value: 7 } }, "5023", /Switch must be 0..1, got 7/],
    ["readonly", { method: "operate_raw", payload: { addr: "1_1", functionid: "Ua", value: 7 } }, "5023", /Ua is read only/],
    ["owned", { method: "operate_raw", payload: { addr: "1_2", functionid: "WSet", value: 1000 } }, "5027", /control loop's power command/],
    ["uncontrolled", { method: "operate_raw", payload: { addr: "3", functionid: "ess_setpoint_kw", value: -20 } }, "5027", /no spec 000 strategy controls ESS 3/],
  ] as const;
  for (const [id, action] of tasks) t.is(command("ADD", [everyMinute(id, [action])]).res, 1);
  sim.loop.runFor(32_000);
  const got = events();
  t.is(got.length, tasks.length);
  for (const [id, , code, msg] of tasks) {
    const event = got.find((e) => e.task.taskId === id);
    t.truthy(event, id);
    t.is(event?.res, 0, id);
    t.is(event?.errcode, code, `${id}: ${JSON.stringify(event)}`);
    t.regex(event?.msg ?? "", msg, id);
  }
  // A silent device: timeout after the master's retries, errcode 5025.
  site.allSlaves[0].silent = true;
  command("CLEAR", []);
  command("ADD", [everyMinute("silent", [{ method: "operate_raw", payload: { addr: "1_1", functionid: "Switch", value: 0 } }])]);
  sim.loop.runFor(60_000);
  const silent = events().find((e) => e.task.taskId === "silent");
  t.is(silent?.errcode, "5025", JSON.stringify(silent));
  t.regex(silent?.msg ?? "", /1_1 did not answer/);
});

test("transport: a raw read PDU gets the device's response in hex; an illegal address comes back as exception 2 (errcode 5102)", (t) => {
  const { sim, events, command } = boot();
  command("ADD", [
    everyMinute("raw", [{ method: "transport", payload: { addr: "1_1", pdu: "0300140003" } }]),
    everyMinute("raw-bad", [{ method: "transport", payload: { portid: "1", meteraddr: "1", pdu: "0377000001" } }]),
  ]);
  sim.loop.runFor(32_000);
  const raw = events().find((e) => e.task.taskId === "raw");
  t.is(raw?.res, 1, JSON.stringify(raw));
  // Ua, Ub, Uc of the simulated meter: 230.0 V = 2300 = 0x08fc.
  t.regex(raw?.msg ?? "", /response 030608fc08fc08fc$/);
  const bad = events().find((e) => e.task.taskId === "raw-bad");
  t.is(bad?.res, 0);
  t.is(bad?.errcode, "5102", JSON.stringify(bad));
  t.regex(bad?.msg ?? "", /exception 2 \(illegal data address\), response 8302/);
});

test("decodeRequestPdu refuses what the master cannot carry; responseHex renders the answer", (t) => {
  const tx = new ModbusTransaction(125);
  t.regex(decodeRequestPdu("05000aff00", tx, 1) ?? "", /function 5 is not carried/);
  t.regex(decodeRequestPdu("03001", tx, 1) ?? "", /even number of hex digits/);
  t.regex(decodeRequestPdu("0300000000", tx, 1) ?? "", /1..125 registers/);
  t.regex(decodeRequestPdu("1000100002040001", tx, 1) ?? "", /FC 16 PDU/);
  t.is(decodeRequestPdu("10001000020400010002", tx, 1), null);
  t.deepEqual([tx.functionCode, tx.address, tx.count, tx.registers[0], tx.registers[1]], [16, 0x10, 2, 1, 2]);
  tx.status = TxStatus.Ok;
  t.is(responseHex(tx), "1000100002");
});

test("a trigger on Ua fires once per rising edge of the measured voltage, and a stale value is unknown", (t) => {
  // The site's voltage: 230 V, 245 V from 60 s to 120 s, 230 V, 245 V again from 180 s.
  const { sim, site, events, command } = boot({ site: { voltage: { points: [[0, 230], [60, 245], [120, 230], [180, 245]] } } });
  const trigger = { and: [{ addr: "1_1", op: "GT", prop: "Ua", value: 240 }, { groupid: "3_1", op: "EX", prop: "Ua" }] };
  const task = { taskId: "overvoltage", enable: 1, priority: 1, startTime: "", endTime: "", cycle: { mode: "trigger", dstEnable: 0, trigger, period: "day" }, actions: [{ method: "operate", payload: { method: "FORCESWITCH", ForceSwitch: 0, groupid: "3_1" } }] };
  t.is(command("ADD", [task]).res, 1);
  sim.loop.runFor(50_000);
  t.is(events().length, 0, "230 V: below the threshold");
  sim.loop.runFor(20_000);
  t.is(events().length, 1, "fired on the rise above 240 V");
  t.false((site.meter as SimAdw300).relayClosed);
  sim.loop.runFor(40_000);
  t.is(events().length, 1, "no second fire while it stays high");
  sim.loop.runFor(80_000);
  t.is(events().length, 2, "fired again on the second rise");
  // The meter goes silent: Ua becomes unknown after staleMs (5 s), so NEX turns true and its task fires once.
  const lost = { taskId: "meter-lost", enable: 1, priority: 1, startTime: "", endTime: "", cycle: { mode: "trigger", dstEnable: 0, trigger: { addr: "1_1", op: "NEX", prop: "Ua" }, period: "day" }, actions: [{ method: "operate_raw", payload: { addr: "1_3", functionid: "ForceSwitch", value: 0 } }] };
  t.is(command("ADD", [lost]).res, 1);
  sim.loop.runFor(3_000);
  t.is(events().length, 2, "Ua is known: NEX false");
  site.allSlaves[0].silent = true;
  sim.loop.runFor(3_000);
  t.is(events().length, 2, "not yet stale");
  sim.loop.runFor(5_000);
  const all = events();
  t.is(all.length, 3, "stale: unknown");
  t.is(all[2].task.taskId, "meter-lost");
  t.is(all[2].res, 1, JSON.stringify(all[2]));
  t.is(site.pvs[0].model.actualW < 1000 ? "off" : "on", "off", "the PV inverter was disconnected (SunSpec 123 Conn = 0)");
});

test("a scheduled ESS setpoint survives a reboot: persisted with its event, in force again before any fire", (t) => {
  const first = boot({ site: { load: { points: [[0, 20000]] }, pv: [] } });
  first.strategy();
  first.command("ADD", [everyMinute("charge", [{ method: "operate_raw", payload: { addr: "1_2", functionid: "ess_setpoint_kw", value: -25 } }])]);
  first.sim.loop.runFor(30_000);
  t.is(first.events().at(-1)?.res, 1);
  t.is(first.firmware.points.essBaseW(3), -25_000);
  // Reboot at 00:01:20: the next fire is at 00:02:00; the setpoint must be in force before it.
  const second = boot({ site: { load: { points: [[0, 20000]] }, pv: [] }, flash: first.sim.flash, wallStartMs: Date.UTC(2026, 2, 2, 0, 1, 20) });
  t.is(second.firmware.points.essBaseW(3), -25_000, "restored from the store at boot");
  second.sim.loop.runFor(20_000);
  t.is(second.events().length, 0, "no fire yet");
  t.true(second.site.batteries[0].model.actualW < -15_000, `charging again: ${second.site.batteries[0].model.actualW} W`);
});
