import test from "ava";
import { SimAdw300, SimSdm630, type MeterSample } from "../../sim/site/meters";
import { MeterDriver, MeterReading, resolveMeterScaling, type MeterListener } from "../../src/devices/meter";
import { ADW300, SDM630, findMeterMap } from "../../src/devices/meter-maps";
import { rtuBench } from "./helpers";

function sample(phaseW: number[]): MeterSample {
  return {
    phaseW: Float64Array.from(phaseW),
    voltageV: Float64Array.from([230.1, 231.2, 229.9]),
    currentA: Float64Array.from([12.34, 5.67, 8.9]),
    importKwh: 1234.56,
    exportKwh: 78.9,
    demandW: 45_000,
  };
}

function readOnce(model: "adw300" | "sdm630", install: { pt: number; ct: number; reversed: boolean }, scaling: Parameters<typeof resolveMeterScaling>[0], phaseW: number[], cycles = 4) {
  const { loop, master, attach } = rtuBench();
  const sim = model === "adw300" ? new SimAdw300({ unit: 3, ...install }) : new SimSdm630({ unit: 3, ...install });
  attach(sim.slave);
  sim.update(sample(phaseW));
  const resolved = resolveMeterScaling(scaling);
  if (typeof resolved === "string") throw new Error(resolved);
  const fresh: boolean[] = [];
  const listener: MeterListener = { onMeterRead: (_m, f) => fresh.push(f) };
  const meter = new MeterDriver(10, model === "adw300" ? ADW300 : SDM630, 3, master, resolved, listener);
  // Every cycle reads the power block plus one slow block in turn: enough cycles reach every slow block.
  for (let i = 0; i < cycles; i++) {
    meter.startCycle();
    loop.runFor(300);
  }
  return { meter, fresh, sim, loop };
}

test("ADW300: powers, voltages, currents, energies and demand, scaled by pt x ct", (t) => {
  const { meter, fresh } = readOnce("adw300", { pt: 10, ct: 40, reversed: false }, { pt: 10, ct: 40, direction: 1 }, [40_000, -12_000, 8_000]);
  t.deepEqual(fresh, [true, true, true, true]);
  // The meter stores int W on the secondary side: primary values come back to within 400 W (1 W x 400).
  t.true(Math.abs(meter.totalW - 36_000) <= 400 * 2);
  t.true(Math.abs(meter.readings[MeterReading.PhaseW + 1] + 12_000) <= 400);
  t.true(Math.abs(meter.readings[MeterReading.VoltageV + 0] - 230.1) < 10 * 0.1 + 1e-9);
  t.true(Math.abs(meter.readings[MeterReading.CurrentA + 0] - 12.34) < 40 * 0.01 + 1e-9);
  t.true(Math.abs(meter.importKwh - 1234.56) <= 400 * 0.01);
  t.true(Math.abs(meter.exportKwh - 78.9) <= 400 * 0.01);
  t.true(Math.abs(meter.demandW - 45_000) <= 400);
});

test("ADW300 installed reversed: direction 2 restores import-positive power and swaps the energies", (t) => {
  const { meter } = readOnce("adw300", { pt: 1, ct: 1, reversed: true }, { direction: 2 }, [1000, 2000, 3000]);
  t.is(meter.totalW, 6000);
  t.is(meter.readings[MeterReading.PhaseW + 2], 3000);
  t.true(Math.abs(meter.importKwh - 1234.56) < 0.011);
  t.true(Math.abs(meter.exportKwh - 78.9) < 0.011);
  t.true(Number.isNaN(meter.demandW), "a reversed meter's forward demand is the site's export: not used");
});

test("a reversed meter read with direction 1 shows the opposite sign (the configuration matters)", (t) => {
  const { meter } = readOnce("adw300", { pt: 1, ct: 1, reversed: true }, { direction: 1 }, [1000, 2000, 3000]);
  t.is(meter.totalW, -6000);
});

test("rate is the total multiplier when given", (t) => {
  const { meter } = readOnce("adw300", { pt: 1, ct: 100, reversed: false }, { rate: 100 }, [50_000, 50_000, 50_000]);
  t.is(meter.totalW, 150_000);
});

test("SDM630: float registers, total is the sum of the phases", (t) => {
  const { meter } = readOnce("sdm630", { pt: 1, ct: 1, reversed: false }, {}, [1500.5, -250.25, 10]);
  t.true(Math.abs(meter.readings[MeterReading.PhaseW + 0] - 1500.5) < 1e-3);
  t.true(Math.abs(meter.totalW - 1260.25) < 1e-3);
  t.true(Math.abs(meter.readings[MeterReading.VoltageV + 1] - 231.2) < 1e-3);
  t.true(Math.abs(meter.importKwh - 1234.56) < 1e-3);
  t.true(Math.abs(meter.demandW - 45_000) < 1e-2);
});

test("a silent meter reads as not fresh and keeps its last value and time", (t) => {
  const { meter, fresh, sim, loop } = readOnce("adw300", { pt: 1, ct: 1, reversed: false }, {}, [1, 2, 3], 1);
  const at = meter.powerAtMs;
  sim.slave.silent = true;
  meter.startCycle();
  loop.runFor(500);
  t.deepEqual(fresh, [true, false]);
  t.is(meter.powerAtMs, at);
  t.is(meter.totalW, 6);
});

test("scaling input is checked and the problem is named", (t) => {
  t.is(resolveMeterScaling({ rate: 200, pt: 10, ct: 10 }), "rate 200 disagrees with pt x ct = 10 x 10 = 100");
  t.deepEqual(resolveMeterScaling({ rate: 100, pt: 10, ct: 10 }), { factor: 100, voltageFactor: 10, currentFactor: 10, sign: 1 });
  t.deepEqual(resolveMeterScaling({}), { factor: 1, voltageFactor: 1, currentFactor: 1, sign: 1 });
  t.is(resolveMeterScaling({ direction: 3 }), "direction must be 1 (forward) or 2 (reversed), got 3");
  t.is(resolveMeterScaling({ ct: -1 }), "ct must be a number from 0 to 1000000, got -1");
  t.is(resolveMeterScaling({ pt: Number.NaN }), "pt must be a number from 0 to 1000000, got NaN");
});

test("meter maps are found by the platform's type names", (t) => {
  t.is(findMeterMap("Acrel-ADW300"), ADW300);
  t.is(findMeterMap(" adw300 "), ADW300);
  t.is(findMeterMap("SDM630"), SDM630);
  t.is(findMeterMap("DTSU666"), null);
});

test("the power block is reported as soon as it is read, before the cycle's slow block: one report per cycle, the slow figures decoded after", (t) => {
  const { loop, master, attach } = rtuBench();
  const sim = new SimAdw300({ unit: 3, pt: 1, ct: 1, reversed: false });
  attach(sim.slave);
  sim.update(sample([1000, 2000, 3000]));
  const resolved = resolveMeterScaling({ pt: 1, ct: 1 });
  if (typeof resolved === "string") throw new Error(resolved);
  const reports: { fresh: boolean; busy: boolean; totalW: number }[] = [];
  const listener: MeterListener = { onMeterRead: (m, fresh) => reports.push({ fresh, busy: m.busy, totalW: m.totalW }) };
  const meter = new MeterDriver(10, ADW300, 3, master, resolved, listener);
  for (let i = 0; i < 3; i++) {
    meter.startCycle();
    loop.runFor(300);
  }
  t.is(reports.length, 3, "one report per cycle");
  for (const r of reports) {
    t.true(r.fresh);
    t.is(r.totalW, 6000);
    t.true(r.busy, "the slow block was still to be read when the loop heard of the power");
  }
  t.false(meter.busy);
  // The slow block of those cycles was decoded all the same (voltages are in the first slow block).
  t.true(Math.abs(meter.readings[MeterReading.VoltageV] - 230.1) < 0.05);
});
