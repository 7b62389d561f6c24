import test from "ava";
import { SimBattery, SimCharger, SimPv } from "../../sim/site/physics";
import { SimGenericLimited, SimGenericPcs, SimSunSpecPcs, SimSunSpecPv, type SimFrontEnd } from "../../sim/site/frontends";
import { pointProblem } from "../../src/devices/blocks";
import { DeviceDriver, type DeviceListener } from "../../src/devices/device";
import { DEVICE_MAP_NAMES, findDeviceMap, type DeviceMap } from "../../src/devices/device-maps";
import { METER_MAPS } from "../../src/devices/meter-maps";
import { rtuBench } from "./helpers";

function drive(map: DeviceMap, front: SimFrontEnd, ratedW: number, revertSeconds = 10) {
  const bench = rtuBench();
  bench.attach(front.slave);
  const events: string[] = [];
  const listener: DeviceListener = {
    onDeviceRead: () => events.push("read"),
    onDeviceCommandDone: (_d, ok) => events.push(ok ? "ack" : "nack"),
  };
  const driver = new DeviceDriver(1, map, front.slave.unit, bench.master, { ratedW, revertSeconds }, listener);
  const cycle = (ms = 200) => {
    front.refresh(bench.loop.monotonicMs());
    driver.startCycle();
    bench.loop.runFor(ms);
  };
  return { ...bench, driver, events, cycle };
}

test("SunSpec 704 PCS: scale factors first, then WSet with the revert timer; 701.W and 713.SoC decoded", (t) => {
  const battery = new SimBattery({ capacityWh: 200_000, socPct: 55.5, maxChargeW: 100_000, maxDischargeW: 100_000, tauMs: 0 });
  battery.actualW = -12_340;
  const front = new SimSunSpecPcs(2, battery);
  const { driver, cycle, loop, events } = drive(findDeviceMap("sunspec-704")!, front, 100_000, 7);
  t.false(driver.ready, "WSet_SF not read yet");
  t.false(driver.command(5000));
  cycle();
  cycle();
  t.true(driver.ready);
  t.is(driver.actualW, -12_340);
  t.is(driver.socPct, 55.5);
  t.true(driver.command(-45_000));
  loop.runFor(100);
  t.is(battery.setpointW, -45_000);
  t.is(driver.ackedW, -45_000);
  t.true(events.includes("ack"));
  // The revert timer was written with the setpoint: silence for longer than 7 s makes the PCS fall back to 0 W.
  front.refresh(loop.monotonicMs() + 6000);
  t.is(front.reverts, 0);
  front.refresh(loop.monotonicMs() + 7100);
  t.is(front.reverts, 1);
  t.is(battery.setpointW, 0);
});

test("generic PCS: one int16 register in 100 W, FC06; saturates instead of wrapping", (t) => {
  const battery = new SimBattery({ capacityWh: 1e6, socPct: 80, maxChargeW: 5e6, maxDischargeW: 5e6, tauMs: 0 });
  const front = new SimGenericPcs(4, battery);
  const { driver, cycle, loop, bus } = drive(findDeviceMap("generic-pcs")!, front, 250_000);
  battery.actualW = 12_300;
  cycle();
  t.is(driver.actualW, 12_300);
  t.is(driver.socPct, 80);
  const before = bus.framesFromMaster;
  driver.command(-7_449);
  loop.runFor(100);
  t.is(bus.framesFromMaster, before + 1);
  t.is(battery.setpointW, -7_400);
  driver.command(4_000_000);
  loop.runFor(100);
  t.is(battery.setpointW, 3_276_700, "int16 saturates at +32767 x 100 W");
});

test("SunSpec 123 PV: WMaxLimPct in tenths of a percent of rated, rounded down; 103.W decoded", (t) => {
  const pv = new SimPv(50_000, 0);
  pv.availableW = 40_000;
  pv.step(1);
  const front = new SimSunSpecPv(5, pv);
  const { driver, cycle, loop } = drive(findDeviceMap("sunspec-123")!, front, 50_000, 0);
  cycle();
  t.is(driver.actualW, 40_000);
  t.true(driver.command(12_345));
  loop.runFor(100);
  // 12 345 W of 50 000 W = 24.69 %: written as 246 (0.1 %), i.e. 12 300 W: never above what was asked.
  t.is(Math.round(pv.limitW), 12_300);
  driver.command(60_000);
  loop.runFor(100);
  t.is(pv.limitW, 50_000);
});

test("chargers: power limit in 100 W, or current per phase in 0.1 A at 230 V", (t) => {
  const charger = new SimCharger(22_000, 0);
  const front = new SimGenericLimited(6, charger, 0x4000, 0x4100, 0x4010);
  const byPower = drive(findDeviceMap("generic-charger")!, front, 22_000);
  byPower.driver.command(7_000);
  byPower.loop.runFor(100);
  t.is(charger.limitW, 7_000);

  const charger2 = new SimCharger(22_000, 0);
  const front2 = new SimGenericLimited(6, charger2, 0x4000, 0x4100, 0x4010);
  const byCurrent = drive(findDeviceMap("generic-charger-current")!, front2, 22_000);
  charger2.demandW = 11_000;
  charger2.step(1);
  byCurrent.cycle();
  t.is(byCurrent.driver.actualW, 11_000);
  byCurrent.driver.command(6_900);
  byCurrent.loop.runFor(100);
  // 6900 W / (3 x 230 V) = 10.0 A per phase.
  t.is(Math.round(charger2.limitW), 6_900);
});

test("a command is not sent while the previous one is still on the bus", (t) => {
  const battery = new SimBattery({ capacityWh: 1e6, socPct: 50, maxChargeW: 1e5, maxDischargeW: 1e5, tauMs: 0 });
  const { driver, loop } = drive(findDeviceMap("generic-pcs")!, new SimGenericPcs(4, battery), 100_000);
  t.true(driver.command(1000));
  t.false(driver.command(2000));
  t.is(driver.commandsDeferred, 1);
  loop.runFor(100);
  t.is(battery.setpointW, 1000);
});

test("every register map's points lie inside their blocks", (t) => {
  for (const name of DEVICE_MAP_NAMES) {
    const map = findDeviceMap(name)!;
    t.is(pointProblem(map.blocks, map.power, `${name}.power`), null);
    if (map.soc) t.is(pointProblem(map.blocks, map.soc, `${name}.soc`), null);
    const encoding = map.command.encoding;
    if (encoding.unit !== "A" && encoding.sf) t.is(pointProblem(map.blocks, encoding.sf, `${name}.sf`), null);
    for (const field of map.command.fields) t.true(field.offset < map.command.count, `${name} field at ${field.offset}`);
  }
  for (const map of METER_MAPS) {
    for (const p of map.phasePower) t.is(pointProblem(map.blocks, p, map.model), null);
    if (map.totalPower) t.is(pointProblem(map.blocks, map.totalPower, map.model), null);
  }
  t.is(pointProblem([{ fc: 3, address: 0, count: 2 }], { block: 0, offset: 1, type: "i32", scale: 1 }, "x"), "x: offset 1 outside its block");
});
