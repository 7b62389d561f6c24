/**
 * The spec 000 handler in the real XS engine: the example sequence gives byte-identical messages to the Node run
 * (same seed), and the control tick's part (ActiveStrategies.tick / refresh) allocates nothing.
 */
import test from "ava";
import { startXsWithEntry } from "../helpers/xs";
import { DEVICE_UID, WALL_JUNE, command, example } from "./helpers";
import { buildScenario, runSteps, type ScenarioStep } from "./scenario";

type Json = Record<string, unknown>;

function steps(): ScenarioStep[] {
  const data = example("create_command").data as Json;
  const list: [ScenarioStep["action"], unknown][] = [
    ["create", command("create", "x1", { ...data, over_demand_condition: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] })],
    ["update", command("update", "x2")],
    ["sync", example("sync_command")],
    ["create", command("create", "x3", { ...data, ele_meter_id: 9, over_demand_condition: new Array(12).fill(-5) })],
    // Mid x1 again with another body: a new command (meter 9 is taken: 400); then the first x1 redelivered: its reply.
    ["create", command("create", "x1")],
    ["create", command("create", "x1", { ...data, over_demand_condition: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] })],
    ["delete", command("delete", "x4")],
    ["update_all", command("update_all", "x5", [...(example("list_post").data as Json[]), ...(example("update_all_command").data as Json[])])],
    ["sync", { ...example("sync_command"), mid: "x6" }],
  ];
  return list.map(([action, message]) => ({ action, payload: JSON.stringify(message) }));
}

test("XS and Node produce the same messages for the example sequence; refresh allocates nothing", async (t) => {
  const node = runSteps(buildScenario(DEVICE_UID, WALL_JUNE, 11), steps());
  const { xs } = await startXsWithEntry(new URL("../xs/protocol-entry.ts", import.meta.url).pathname);
  try {
    await xs.run(`protocolHarness.boot(${JSON.stringify(DEVICE_UID)}, ${WALL_JUNE}, 11)`);
    const run = await xs.run(`protocolHarness.run(${JSON.stringify(JSON.stringify(steps()))})`);
    t.deepEqual(run.replies[0], node);
    t.true(node.length >= 10);
    const codes = node.filter((o) => o.topicSuffix.endsWith("/result")).map((o) => JSON.parse(o.payload).code);
    t.deepEqual(codes, [200, 200, 200, 400, 400, 200, 200, 200, 200]);

    const steady = await xs.measure("protocolHarness.tick(1)", "protocolHarness.tick(1001)");
    t.is(steady.heapSlots, 0, "tick in a steady month");
    const flipping = await xs.measure("protocolHarness.refreshAcrossMonths(1)", "protocolHarness.refreshAcrossMonths(1001)");
    t.is(flipping.heapSlots, 0, "refresh re-selecting every month's limits");
    t.log(`steps per call: tick (clock looked at) ${steady.steps / 1000}, refresh with a month change ${flipping.steps / 1000}`);
    const limit = (await xs.run("protocolHarness.limit(10)")).replies[0] as { monthKey: number; demandLimitW: number };
    t.is(limit.demandLimitW, 2_000_000);
  } finally {
    await xs.close();
  }
});
