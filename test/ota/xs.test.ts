import test from "ava";
import { createHash } from "node:crypto";
import { startXsWithEntry } from "../helpers/xs";
import { otaSimScenario } from "./sim-scenario";
import { scenarioInput } from "./sim-input";

const entry = new URL("../xs/ota-entry.ts", import.meta.url).pathname;

test("in real XS: the simulated update equals the Node run, P-256 verifies, the download body path allocates nothing", async (t) => {
  const { xs } = await startXsWithEntry(entry);
  try {
    const input = scenarioInput(25, 100_000);
    const inXs = (await xs.run(`otaXs.scenario(${JSON.stringify(input)})`)).replies[0] as { running: string; events: string[] };
    const inNode = JSON.parse(JSON.stringify(otaSimScenario(input))) as { running: string; events: string[] };
    t.deepEqual(inXs, inNode);
    t.is(inNode.running, "1.1.0", "the story must have installed the update for the equality to mean something");
    t.true(inNode.events.some((e) => e.includes('"status":"success"')));

    const digest = createHash("sha256").update(new TextEncoder().encode("x")).digest("hex");
    const bad = (await xs.run(`otaXs.verify(${JSON.stringify(input.publicKeyHex)}, ${JSON.stringify(digest)}, ${JSON.stringify(input.signature)}, 32)`)).replies[0] as { valid: boolean };
    t.false(bad.valid, "a signature over another digest does not verify");
    const run = await xs.run(`otaXs.verify(${JSON.stringify(input.publicKeyHex)}, ${JSON.stringify(input.sha256)}, ${JSON.stringify(input.signature)}, 32)`);
    const good = run.replies[0] as { valid: boolean; units: number; calls: number };
    t.true(good.valid);
    t.is(good.calls, Math.ceil(good.units / 32));
    t.log(`P-256 verify in XS: ${run.compute} steps in ${good.units} units (${Math.round(run.compute / good.units)} steps per unit)`);

    const prepared = (await xs.run("otaXs.prepareBody()")).replies[0] as { state: number; offset: number };
    t.is(prepared.state, 2, "fetching");
    await xs.run("otaXs.pump(8)");
    const cost = await xs.measure("otaXs.pump(0)", "otaXs.pump(50)");
    const status = (await xs.run("otaXs.bodyStatus()")).replies[0] as { offset: number; fetching: boolean };
    t.true(status.fetching);
    t.true(status.offset >= 50 * 4096, `offset ${status.offset}`);
    t.is(cost.heapSlots, 0, "50 ticks of 4 KiB: parse, erase, program, hash without allocating");
    t.log(`XS steps per 4 KiB download tick: ${Math.round(cost.steps / 50)}`);
  } finally {
    await xs.close();
  }
});
