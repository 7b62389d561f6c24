import test from "ava";
import { startXsWithEntry } from "../helpers/xs";
import { desiredScenario } from "./desired-scenario";

const entry = new URL("../xs/desired-entry.ts", import.meta.url).pathname;

test("the spec-004 story runs in real XS exactly as in Node; a synced session's tick allocates nothing", async (t) => {
  const { xs } = await startXsWithEntry(entry);
  try {
    const inXs = (await xs.run("desiredXs.scenario()")).replies[0] as Record<string, unknown>;
    const inNode = JSON.parse(JSON.stringify(desiredScenario())) as Record<string, unknown>;
    t.deepEqual(inXs, inNode);
    // The story itself must have done what it says, or equality proves little.
    t.is((inNode.values as Record<string, unknown>).ramp_rate_kw_per_s, 2.5);
    t.is((inNode.values as Record<string, unknown>).control_period_ms, 500);
    t.is(inNode.desiredLeft, 0);

    await xs.run("desiredXs.prepareTicks()");
    const status = (await xs.run("desiredXs.status()")).replies[0] as { synced: boolean };
    t.true(status.synced);
    await xs.run("desiredXs.ticks(10)");
    const cost = await xs.measure("desiredXs.ticks(0)", "desiredXs.ticks(1000)");
    t.is(cost.heapSlots, 0, "steady-state tick allocates nothing");
    t.true(cost.steps > 0);
    t.log(`XS steps per desired-session tick: ${cost.steps / 1000}`);
  } finally {
    await xs.close();
  }
});
