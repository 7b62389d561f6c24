/**
 * Scheduled points in the real XS engine: with trigger properties read from the simulated meter and a trigger task
 * in force, the composed firmware's steady state (control cycles, the point reads between them, trigger evaluation)
 * allocates no heap slot; a trigger's action then writes the meter's relay.
 */
import test from "ava";
import { startXsWithScript } from "../helpers/xs";
import { readText } from "../helpers/forbidden-apis";

const APP_BUNDLE = "dist/xs/app.js";

test("trigger properties polled between control cycles allocate nothing in XS; the trigger's FORCESWITCH reaches the meter", async (t) => {
  const { xs } = await startXsWithScript(APP_BUNDLE);
  try {
    const config = {
      rs485: { port: 1, baud: 19200 },
      mqtt: { reconnectMinMs: 600000, reconnectMaxMs: 600000 },
      points: { devices: [{ addr: "1_1", model: "Acrel-ADW300", groupid: "3_1", ct: 40 }, { addr: "1_2", model: "sunspec-704", deviceId: 3 }] },
    };
    const site = JSON.parse(readText("boards/host/site.json")) as Record<string, unknown>;
    // 230 V, then 245 V from 60 s: the trigger below fires once, on the rise.
    site.voltage = { points: [[0, 230], [60, 245]] };
    const create = readText("docs/examples/spec-000/create.json");
    await xs.run(`harness.bootControlledSite(${JSON.stringify(JSON.stringify(config))}, 1, ${JSON.stringify(JSON.stringify(site))}, ${JSON.stringify(create)})`);
    const task = {
      taskId: "overvoltage",
      enable: 1,
      priority: 1,
      startTime: "",
      endTime: "",
      cycle: { mode: "trigger", dstEnable: 0, period: "day", trigger: { or: [{ addr: "1_1", op: "GT", prop: "Ua", value: 240 }, { addr: "1_2", op: "LT", prop: "SoC", value: 1 }] } },
      actions: [{ method: "operate", payload: { method: "FORCESWITCH", ForceSwitch: 0, groupid: "3_1" } }],
    };
    const added = (await xs.run(`harness.scheduleCommand(${JSON.stringify(JSON.stringify({ msgid: "1", method: "schedule", sn: "GW-0001", timestamp: 1, payload: { cmd: "ADD", tasks: [task] } }))})`)).replies[0] as { res: number };
    t.is(added.res, 1, JSON.stringify(added));
    await xs.run("harness.runFor(20000)");
    const before = (await xs.run(`harness.point("addr", "1_1", "Ua")`)).replies[0] as { value: number; relayClosed: boolean; runs: number };
    t.true(Math.abs(before.value - 230) < 0.5, JSON.stringify(before));
    t.true(before.relayClosed);
    const steady = await xs.measure("harness.runFor(0)", "harness.runFor(30000)");
    t.is(steady.heapSlots, 0, "30 s: 120 control cycles, Ua and SoC read between them, the trigger evaluated every second");
    t.log(`30 s with two trigger properties polled: ${steady.steps} XS steps`);
    await xs.run("harness.runFor(15000)");
    const after = (await xs.run(`harness.point("addr", "1_1", "Ua")`)).replies[0] as { value: number; relayClosed: boolean; runs: number };
    t.true(Math.abs(after.value - 245) < 0.5, JSON.stringify(after));
    t.false(after.relayClosed, "the trigger's action opened the relay");
    t.is(after.runs, 1);
  } finally {
    await xs.close();
  }
});
