/**
 * Durability contract of the strategy handler: the change and its reply are one store commit made before the 200
 * is returned; a redelivered command is applied once and answered with the same reply; ids are never reused.
 */
import test from "ava";
import { MemoryStrategyStore, type StrategyCommit, type StrategyStorePort } from "../../src/protocol/overdemand/store-port";
import { command, example, rig } from "./helpers";
import { fnv1a32, rememberedText } from "../../src/core/command-identity";

type Json = Record<string, unknown>;

test("a redelivered create (same mid) is applied once and answered with the byte-identical reply, no new report", (t) => {
  const r = rig();
  const first = r.send("create", command("create", "dup-1"));
  const second = r.send("create", command("create", "dup-1"));
  t.is(first.length, 2);
  t.is(second.length, 1);
  t.is(second[0].payload, first[0].payload);
  t.is(r.store.loadAll().length, 1);
  t.is(r.handler.nextStrategyId, 2);
  t.is(r.counters.value("overdemand_duplicates"), 1);
});

test("the remembered reply survives a reboot: the duplicate after it is still answered the same", (t) => {
  const r = rig();
  const first = r.send("update_all", command("update_all", "ua-1"))[0].payload;
  const rebooted = rig({ store: r.store, hal: r.hal });
  const again = rebooted.send("update_all", command("update_all", "ua-1"));
  t.is(again.length, 1);
  t.is(again[0].payload, first);
  t.is(rebooted.store.loadAll().length, 1);
});

test("a redelivered refused command gets the same 400 (remembered in RAM, nothing written)", (t) => {
  const r = rig();
  const bad = command("delete", "bad-1", { id: 42 });
  const first = r.send("delete", bad)[0].payload;
  t.is(JSON.parse(first).code, 400);
  t.is(r.send("delete", bad)[0].payload, first);
  t.is((r.store as MemoryStrategyStore).commits, 0);
});

test("the reply is committed with the change, before it is returned", (t) => {
  const commits: StrategyCommit[] = [];
  const inner = new MemoryStrategyStore();
  const spy: StrategyStorePort = {
    loadAll: () => inner.loadAll(),
    loadBody: (id) => inner.loadBody(id),
    loadBodyJson: (id) => inner.loadBodyJson(id),
    loadNextId: () => inner.loadNextId(),
    recentReply: (mid) => inner.recentReply(mid),
    commit: (change) => {
      commits.push(change);
      inner.commit(change);
    },
  };
  const r = rig({ store: spy });
  const sent = command("create", "c-1");
  const outputs = r.send("create", sent);
  t.is(commits.length, 1);
  // The reply is kept under its mid with the command's identity (action 0 = create, digest of the bytes sent).
  t.deepEqual(commits[0].reply, { mid: "c-1", text: rememberedText(0, fnv1a32(JSON.stringify(sent)), outputs[0].payload) });
  t.is(commits[0].nextId, 2);
  t.is(commits[0].put.length, 1);
});

test("a failed commit: 400 naming the store, nothing changed in RAM, the next command works", (t) => {
  const store = new MemoryStrategyStore();
  const r = rig({ store });
  t.is(r.reply("create", command("create", "c-1")).code, 200);
  store.failNext = "store full";
  const reply = r.reply("update", command("update", "u-1", { id: 1, streaming_status: 2 }));
  t.is(reply.code, 400);
  t.is(reply.msg, 'store: the change could not be saved (Error: store full)');
  t.is(r.handler.body(r.handler.strategies[0].id).streaming_status, 1);
  t.is(r.counters.value("overdemand_store_errors"), 1);
  t.is(r.reply("update", command("update", "u-2", { id: 1, streaming_status: 2 })).code, 200);
  t.is(r.handler.body(r.handler.strategies[0].id).streaming_status, 2);
});

test("create / delete / create never reuses an id, across reboots", (t) => {
  const store = new MemoryStrategyStore();
  let r = rig({ store });
  const data = example("create_command").data as Json;
  t.deepEqual(r.reply("create", command("create", "a", data)).data, { id: 1 });
  t.deepEqual(r.reply("create", command("create", "b", { ...data, ele_meter_id: 2 })).data, { id: 2 });
  t.is(r.reply("delete", command("delete", "c", { id: 2 })).code, 200);
  r = rig({ store, hal: r.hal });
  t.deepEqual(r.reply("create", command("create", "d", { ...data, ele_meter_id: 3 })).data, { id: 3 });
  t.is(r.reply("update_all", command("update_all", "e", [])).code, 200);
  r = rig({ store, hal: r.hal });
  t.deepEqual(r.reply("create", command("create", "f", { ...data, ele_meter_id: 4 })).data, { id: 4 });
});
