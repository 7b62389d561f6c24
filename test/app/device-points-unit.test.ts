/**
 * DevicePoints alone, on a scripted bus (the transport answers as the test says), and the config that names the
 * site's devices: the bus budget, bus busy, groups, cancellation by a reconfiguration, the property table bound,
 * and every refusal of `points.devices` with its path.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { createSimHal } from "../../hal/sim/index";
import { SimGenericPcs } from "../../sim/site/frontends";
import { SimSite, type SiteSpec } from "../../sim/site/site";
import { DevicePoints, type PointBus, type PointLink } from "../../src/app/device-points";
import { bootFirmware } from "../../src/app/firmware";
import { ConfigError, resolveConfig } from "../../src/config/gateway-config";
import type { PointDeviceConfig } from "../../src/config/point-devices";
import { Counters } from "../../src/core/counters";
import { TxStatus, type ModbusTransaction, type ModbusTransport } from "../../src/modbus/transaction";
import { SimBroker } from "../mqtt/helpers/sim-broker";

/** A transport that keeps what it is given; the test finishes each request with the status it wants. */
class ScriptedTransport implements ModbusTransport {
  readonly submitted: ModbusTransaction[] = [];
  refuse = false;
  get pending(): number {
    return this.submitted.filter((tx) => tx.busy).length;
  }
  submit(tx: ModbusTransaction): boolean {
    if (this.refuse) {
      tx.status = TxStatus.Refused;
      return false;
    }
    tx.status = TxStatus.Queued;
    this.submitted.push(tx);
    return true;
  }
  finish(status: TxStatus, exceptionCode = 0): ModbusTransaction {
    const tx = this.submitted.shift() as ModbusTransaction;
    tx.status = status;
    tx.exceptionCode = exceptionCode;
    tx.attempts = 1;
    tx.listener?.onModbusDone(tx);
    return tx;
  }
}

function rig(devices: PointDeviceConfig[], plannedMs = 0) {
  let now = 0;
  const clock = { monotonicMs: () => now, wallMs: () => now, wallSynced: () => true, createTimer: () => { throw new Error("no timers"); } };
  const log: string[] = [];
  const counters = new Counters();
  const transport = new ScriptedTransport();
  const link: PointLink = { transport, plannedMs, baud: 19200 };
  const bus: PointBus = {
    config: { options: { periodMs: 250 }, rtu: { turnaroundMs: 20 } },
    linkTransport: () => link,
    groups: [],
  };
  const points = new DevicePoints({
    clock: clock as never,
    log: { write: (_level, _tag, text) => log.push(text) },
    counters,
    points: { devices, pollMs: 1000, staleMs: 5000, busWaitMs: 5000 },
    rs485Port: 1,
  });
  points.attach(bus);
  const results: [string | null, string | undefined][] = [];
  const run = (method: "operate" | "operate_raw" | "transport", payload: Record<string, unknown>) => points.execute(method, payload, (code, msg) => results.push([code, msg]));
  const cycle = (ms = 250) => {
    now += ms;
    points.serveCycle(now);
  };
  return { points, transport, link, results, run, cycle, counters, log, advance: (ms: number) => (now += ms) };
}

const METERS: PointDeviceConfig[] = [
  { addr: "1_1", model: "Acrel-ADW300", groupid: "g" },
  { addr: "1_4", model: "Acrel-ADW300", groupid: "g" },
];

test("a group is written member by member; the run fails at the first member that does not answer, naming who acknowledged", (t) => {
  const r = rig(METERS);
  r.run("operate", { method: "FORCESWITCH", ForceSwitch: 0, groupid: "g" });
  t.is(r.transport.submitted.length, 0, "nothing on the bus before the control cycle serves it");
  r.cycle();
  const first = r.transport.finish(TxStatus.Ok);
  t.deepEqual([first.unit, first.functionCode, first.address, first.registers[0]], [1, 6, 0x0060, 0]);
  t.is(r.results.length, 0, "the group is not done after one member");
  r.cycle();
  const second = r.transport.finish(TxStatus.Timeout);
  t.is(second.unit, 4);
  t.deepEqual(r.results, [["5025", "ForceSwitch=0 on groupid g: 1_4 did not answer after 1 attempt(s) (1_1 acknowledged)"]]);
  t.is(r.counters.value("points_action_failures"), 1);
});

test("bus budget: a request waits while the cycle's planned traffic fills the period, then fails bus busy after busWaitMs", (t) => {
  const r = rig(METERS, 230); // 230 ms of the 250 ms period planned: no room for a 33 ms write
  r.run("operate_raw", { addr: "1_1", functionid: "Switch", value: 1 });
  for (let i = 0; i < 20; i++) r.cycle();
  t.is(r.transport.submitted.length, 0, "never sent into a full cycle");
  t.is(r.results.length, 0, "still waiting within busWaitMs");
  r.cycle(100);
  t.is(r.results[0][0], "5024");
  t.regex(r.results[0][1] ?? "", /no room on the bus for 5000 ms/);
  t.is(r.counters.value("points_bus_busy"), 1);
  // Room again: the next action goes at the next cycle.
  (r.link as { plannedMs: number }).plannedMs = 100;
  r.run("operate_raw", { addr: "1_1", functionid: "Switch", value: 1 });
  r.cycle();
  t.is(r.transport.submitted.length, 1);
});

test("a request cancelled by a reconfiguration (status Refused, no callback) is sent again at the next cycle; a full transport queue is retried", (t) => {
  const r = rig(METERS);
  r.run("operate_raw", { addr: "1_1", functionid: "Switch", value: 0 });
  r.cycle();
  const tx = r.transport.submitted.shift() as ModbusTransaction;
  tx.status = TxStatus.Refused; // RtuMaster.cancelQueued
  r.transport.refuse = true;
  r.cycle();
  t.is(r.transport.submitted.length, 0, "the transport refused it: kept for the next cycle");
  r.transport.refuse = false;
  r.cycle();
  t.is(r.transport.submitted.length, 1, "sent again");
  r.transport.finish(TxStatus.Exception, 3);
  t.deepEqual(r.results, [["5103", "Switch=0 on addr 1_1: 1_1 answered Modbus exception 3 (illegal data value)"]]);
});

test("one action at a time: a second execute while one is on the bus is refused bus busy, the first still completes", (t) => {
  const r = rig(METERS);
  r.run("operate_raw", { addr: "1_1", functionid: "Switch", value: 0 });
  r.run("operate_raw", { addr: "1_4", functionid: "Switch", value: 0 });
  t.deepEqual(r.results, [["5024", "another action is still on the bus"]]);
  r.cycle();
  r.transport.finish(TxStatus.Ok);
  t.is(r.results[1][0], null);
});

test("trigger properties: one read per cycle, each at most every pollMs, values scaled by the transformer ratio, stale after staleMs; the table bound is counted", (t) => {
  const r = rig([{ addr: "1_1", model: "Acrel-ADW300", pt: 10, ct: 40 }]);
  const ua = r.points.resolve("addr", "1_1", "Ua");
  const ia = r.points.resolve("addr", "1_1", "Ia");
  const unknown = r.points.resolve("addr", "1_1", "Nope");
  t.is(r.points.resolve("addr", "1_1", "Ua"), ua, "interned");
  r.cycle();
  t.is(r.transport.submitted.length, 1, "one read per cycle");
  r.transport.submitted[0].registers[0] = 2301; // 230.1 V secondary
  r.transport.finish(TxStatus.Ok);
  r.cycle();
  r.transport.submitted[0].registers[0] = 150; // 1.50 A secondary
  r.transport.finish(TxStatus.Ok);
  t.true(Math.abs(r.points.read(ua) - 2301) < 1e-6, `x pt: ${r.points.read(ua)}`);
  t.true(Math.abs(r.points.read(ia) - 60) < 1e-6, `x ct: ${r.points.read(ia)}`);
  t.true(Number.isNaN(r.points.read(unknown)));
  t.true(r.log.some((line) => /has no point Nope/.test(line)));
  r.cycle();
  t.is(r.transport.submitted.length, 0, "both read less than pollMs ago");
  // No answers any more: the values go stale.
  r.advance(5100);
  t.true(Number.isNaN(r.points.read(ua)), "stale: unknown");
  const small = new DevicePoints({ clock: { monotonicMs: () => 0 } as never, log: { write() {} }, counters: r.counters, points: { devices: [], pollMs: 1000, staleMs: 5000, busWaitMs: 5000 }, rs485Port: 1, propertyCapacity: 1 });
  t.is(small.resolve("addr", "1_1", "Ua"), 0);
  t.is(small.resolve("addr", "1_1", "Ub"), -1);
  t.is(r.counters.value("points_table_full"), 1);
});

const badDevices: [string, unknown, RegExp][] = [
  ["addr grammar", [{ addr: "1-1", model: "Acrel-ADW300" }], /points\.devices\[0\]\.addr: must be "PORT_UNIT"/],
  ["unit range", [{ addr: "1_248", model: "Acrel-ADW300" }], /points\.devices\[0\]\.addr/],
  ["unknown model", [{ addr: "1_1", model: "Foo" }], /points\.devices\[0\]\.model: no point table for "Foo"/],
  ["twice", [{ addr: "1_1", model: "Acrel-ADW300" }, { addr: "1_1", model: "sunspec-704" }], /points\.devices\[1\]\.addr: "1_1" is listed twice/],
  ["unknown key", [{ addr: "1_1", model: "Acrel-ADW300", colour: 1 }], /points\.devices\[0\]\.colour: unknown key/],
  ["port without tcp", [{ addr: "2_1", model: "generic-pcs" }], /port "2" is not the RS-485 port "1"; give the entry a tcp link/],
  ["tcp port", [{ addr: "2_1", model: "generic-pcs", tcp: { host: "pcs", port: 0 } }], /points\.devices\[0\]\.tcp\.port/],
  ["ratio", [{ addr: "1_1", model: "Acrel-ADW300", ct: 0 }], /points\.devices\[0\]\.ct/],
  ["not an array", { addr: "1_1" }, /points\.devices: must be an array/],
  ["groupid list with an empty name", [{ addr: "1_1", model: "Acrel-ADW300", groupid: ["3_1", ""] }], /points\.devices\[0\]\.groupid: must be a non-empty string, a number, or a list of them/],
  ["meterId type", [{ addr: "1_1", model: "Acrel-ADW300", meterId: "9" }], /points\.devices\[0\]\.meterId: must be a spec 000 ele_meter_id/],
  ["meterId on a PCS", [{ addr: "1_2", model: "sunspec-704", meterId: 9 }], /points\.devices\[0\]\.meterId: only a meter has one; "sunspec-704" is not a meter model/],
  ["meterId twice", [{ addr: "1_1", model: "Acrel-ADW300", meterId: 9 }, { addr: "1_4", model: "Eastron-SDM630", meterId: 9 }], /points\.devices\[1\]\.meterId: meter 9 is listed twice/],
];
for (const [name, devices, message] of badDevices) {
  test(`points.devices refused with the field named: ${name}`, (t) => {
    const error = t.throws(() => resolveConfig({ points: { devices } }), { instanceOf: ConfigError });
    t.regex(error?.message ?? "", message);
  });
}

test("a device on Modbus TCP: FORCESWITCH reaches a vendor PCS at its host and port", (t) => {
  const site = JSON.parse(readFileSync(new URL("../../boards/host/site.json", import.meta.url), "utf8")) as SiteSpec;
  site.ess = [...(site.ess ?? []), { id: 5, map: "generic-pcs", link: "tcp", host: "pcs2.sim", port: 502, unit: 1, ratedW: 50_000, capacityWh: 100_000, socPct: 60 }];
  const sim = createSimHal({ seed: 3, wallStartMs: Date.UTC(2026, 2, 2, 0, 0, 30), partitions: { store: { sectorCount: 96 } } });
  const simSite = new SimSite(site, { loop: sim.loop, bus: sim.bus, network: sim.network, random: sim.simRandom });
  const broker = new SimBroker(sim.network);
  bootFirmware(sim, resolveConfig({ rs485: { port: 1, baud: 19200 }, mqtt: { broker: "mqtt://broker.sim:1883" }, points: { devices: [{ addr: "2_1", model: "generic-pcs", tcp: { host: "pcs2.sim", port: 502 } }] } }));
  sim.loop.runFor(3000);
  const task = { taskId: "tcp", enable: 1, priority: 1, startTime: "", endTime: "", cycle: { mode: "cron", dstEnable: 0, cron: "0 * * * * ?" }, actions: [{ method: "operate", payload: { method: "FORCESWITCH", ForceSwitch: 0, addr: "2_1" } }] };
  broker.publish("v1/wudun/pk-demo/GW-0001/schedule/command", JSON.stringify({ msgid: "1", method: "schedule", sn: "GW-0001", timestamp: 1, payload: { cmd: "ADD", tasks: [task] } }), 1);
  sim.loop.runFor(32_000);
  const events = broker.received.filter((m) => m.topic.endsWith("schedule/event/post")).map((m) => JSON.parse(m.payload.toString()) as { payload: { events: { payload: { res: number; msg: string } }[] } });
  t.is(events.length, 1);
  t.like(events[0].payload.events[0].payload, { res: 1, msg: "ForceSwitch=0 on addr 2_1: 2_1 acknowledged" });
  const front = simSite.batteries[1].front as SimGenericPcs;
  t.is((front as unknown as { command: Uint16Array }).command[1], 0, "the vendor PCS's on/off register is 0");
});
