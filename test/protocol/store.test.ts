/**
 * The handler on the real flash store (src/store on SimNorFlash): ids survive reboots and are never reused, the
 * reply is remembered on flash with the change, and a power cut at any flash operation of an update_all leaves the
 * old set or the new one, never a mix; after the reboot the platform's redelivery converges on the new set.
 */
import test from "ava";
import { PowerCut, SimNorFlash } from "../../hal/sim/flash";
import { createSimHal } from "../../hal/sim/index";
import { GatewayStrategyStore } from "../../src/protocol/overdemand/store-adapter";
import { GatewayStore } from "../../src/store/index";
import { WALL_JUNE, command, example, rig, type Rig } from "./helpers";

type Json = Record<string, unknown>;

function openStore(flash: SimNorFlash): GatewayStrategyStore {
  return new GatewayStrategyStore(GatewayStore.open(flash, { maxStrategies: 16, maxTasks: 8 }));
}

function boot(flash: SimNorFlash, seed = 5): Rig {
  const hal = createSimHal({ seed, wallStartMs: WALL_JUNE, wallSynced: true });
  return rig({ store: openStore(flash), hal });
}

function newFlash(): SimNorFlash {
  return new SimNorFlash({ sectorSize: 4096, sectorCount: 16, seed: 3 });
}

/** The strategy set as the handler holds it: ids and bodies. */
function state(r: Rig): string {
  return JSON.stringify({ next: r.handler.nextStrategyId, strategies: r.handler.strategies.map((e) => [e.id, e.bytes, r.handler.body(e.id)]) });
}

test("real store: create / delete / create never reuses an id across reboots", (t) => {
  const flash = newFlash();
  const data = example("create_command").data as Json;
  let r = boot(flash);
  t.deepEqual(r.reply("create", command("create", "a", data)).data, { id: 1 });
  t.deepEqual(r.reply("create", command("create", "b", { ...data, ele_meter_id: 2 })).data, { id: 2 });
  t.is(r.reply("delete", command("delete", "c", { id: 2 })).code, 200);
  r = boot(flash);
  t.is(r.handler.strategies.length, 1);
  t.deepEqual(r.reply("create", command("create", "d", { ...data, ele_meter_id: 3 })).data, { id: 3 });
  t.is(r.reply("delete", command("delete", "e", { id: 3 })).code, 200);
  t.is(r.reply("delete", command("delete", "f", { id: 1 })).code, 200);
  r = boot(flash);
  t.is(r.handler.strategies.length, 0);
  t.deepEqual(r.reply("create", command("create", "g", data)).data, { id: 4 });
});

test("real store: strategies come back after a reboot exactly as sync returned them, unknown fields included", (t) => {
  const flash = newFlash();
  let r = boot(flash);
  const items = [...(example("list_post").data as Json[]), ...(example("update_all_command").data as Json[])];
  t.is(r.reply("update_all", command("update_all", "ua", items)).code, 200);
  const before = r.reply("sync", example("sync_command")).data;
  r = boot(flash);
  t.deepEqual(r.reply("sync", example("sync_command")).data, before);
  t.is(r.handler.nextStrategyId, 6);
});

test("real store: a redelivered command after a reboot gets the reply remembered on flash", (t) => {
  const flash = newFlash();
  const first = boot(flash).send("create", command("create", "dup"))[0].payload;
  const r = boot(flash, 99);
  const again = r.send("create", command("create", "dup"));
  t.is(again.length, 1);
  t.is(again[0].payload, first);
  t.is(r.handler.strategies.length, 1);
});

/** One campaign: from `base`, cut the update_all at each of its flash operations (several tear seeds each). */
function cutCampaign(t: import("ava").ExecutionContext, base: SimNorFlash, label: string, tearSeeds: number): { operations: number; old: number; new: number } {
  const oldState = state(boot(base.clone(1)));
  const newItems = [...(example("list_post").data as Json[]), ...(example("update_all_command").data as Json[])];
  const updateAll = command("update_all", `ua-${label}`, newItems);

  // The uncut run: how many flash operations the update_all takes, and the state it leads to.
  const clean = base.clone(1);
  const cleanRig = boot(clean);
  const opsBefore = clean.operations;
  t.is(cleanRig.reply("update_all", updateAll).code, 200);
  const operations = clean.operations - opsBefore;
  const newState = state(cleanRig);
  t.not(newState, oldState);

  const seen = { operations, old: 0, new: 0 };
  for (let cut = 1; cut <= operations; cut++) {
    for (let seed = 0; seed < tearSeeds; seed++) {
      const flash = base.clone(7919 * cut + seed);
      const device = boot(flash);
      flash.cutAfter(cut);
      let threw = false;
      let outputs: { payload: string }[] = [];
      try {
        outputs = device.send("update_all", updateAll);
      } catch (error) {
        if (!(error instanceof PowerCut)) throw error;
        threw = true;
      }
      // No 200 can come out of a commit that did not return.
      if (!threw) t.not(JSON.parse(outputs[0].payload).code, 200, `${label} cut ${cut}: a 200 despite the cut`);
      flash.powerOn();
      const rebooted = boot(flash);
      const after = state(rebooted);
      if (after === oldState) seen.old++;
      else if (after === newState) seen.new++;
      else t.fail(`${label} cut ${cut}/${operations} seed ${seed}: neither the old nor the new set: ${after}`);
      // The platform got no reply and redelivers: the device converges on the new set, applied once.
      const reply = rebooted.reply("update_all", updateAll);
      t.is(reply.code, 200, `${label} cut ${cut}: ${reply.msg}`);
      t.is(state(rebooted), newState, `${label} cut ${cut}: after redelivery`);
    }
  }
  return seen;
}

test("real store: a power cut at every flash operation of update_all leaves the old set or the new one", (t) => {
  const base = new SimNorFlash({ sectorSize: 4096, sectorCount: 8, seed: 3, tearMode: "mixed" });
  const data = example("create_command").data as Json;
  const setup = boot(base);
  for (let meter = 1; meter <= 3; meter++) {
    t.is(setup.reply("create", command("create", `old-${meter}`, { ...data, ele_meter_id: meter })).code, 200);
  }
  // Campaigns at several fill levels of the log, so some update_alls run into sector reclaim (erases) mid-commit.
  let total = { cuts: 0, old: 0, new: 0, maxOps: 0 };
  for (let round = 0; round < 6; round++) {
    const seen = cutCampaign(t, base, `round ${round}`, 3);
    total = { cuts: total.cuts + seen.operations * 3, old: total.old + seen.old, new: total.new + seen.new, maxOps: Math.max(total.maxOps, seen.operations) };
    for (let i = 0; i < 8; i++) {
      const streaming = 100 * (round * 8 + i);
      t.is(setup.reply("update", command("update", `fill-${round}-${i}`, { id: 1, streaming_condition: streaming })).code, 200);
    }
  }
  t.true(total.old > 0, "some cuts leave the old set");
  t.true(total.maxOps > 5, "some update_all ran into sector reclaim");
  t.log(`${total.cuts} cuts: ${total.old} old set, ${total.new} new set; longest update_all ${total.maxOps} flash operations`);
});
