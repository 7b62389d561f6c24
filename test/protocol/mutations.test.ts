/**
 * Every field of the model's tables, mutated programmatically: a wrong type, null where not allowed, out of range,
 * missing when required. Each must get a 400 whose msg starts with the field's path, and leave the store exactly as
 * it was. Boundary values inside the range must be accepted (so the checks are not simply refusing everything).
 */
import test from "ava";
import {
  EMS_DEVICE_FIELDS,
  MAX_ID,
  METER_FIELDS,
  OTHER_DEVICE_FIELDS,
  STRATEGY_FIELDS,
  type FieldSpec,
} from "../../src/protocol/overdemand/model";
import { command, example, rig, type Rig } from "./helpers";

type Json = Record<string, unknown>;

/** Values of the wrong JSON type for a field (null included where the field is not nullable). */
function wrongTypes(spec: FieldSpec): unknown[] {
  const byKind: Record<FieldSpec["kind"], unknown[]> = {
    int: ["1", 1.5, true, [1], { v: 1 }],
    float: ["1", true, [1], { v: 1 }],
    string: [1, true, ["a"], { v: "a" }],
    datetime: [1, "yesterday", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-06-06 08:59:20"],
    intOrDigits: [true, 1.5, "12a", "", [1], { v: 1 }],
    monthly: ["x", 5, { v: 1 }],
    object: ["x", 5, [1]],
    meter: ["x", 5, [1]],
    devices: ["x", 5, { v: 1 }],
  };
  const out = byKind[spec.kind].slice();
  if (!spec.nullable) out.push(null);
  return out;
}

function outOfRange(spec: FieldSpec): unknown[] {
  if (spec.oneOf) return [Math.max(...spec.oneOf) + 1, Math.min(...spec.oneOf) - 1];
  const step = spec.kind === "float" ? 0.5 : 1;
  const out: unknown[] = [];
  if (spec.min !== undefined) out.push(spec.min - step);
  if (spec.max !== undefined) out.push(spec.max + step);
  if (spec.kind === "intOrDigits" && spec.max !== undefined) out.push(String(spec.max + 1));
  return out;
}

/** Values at the edges of the range, which must be accepted. */
function edges(spec: FieldSpec): unknown[] {
  if (spec.oneOf) return spec.oneOf.slice();
  const out: unknown[] = [];
  if (spec.min !== undefined) out.push(spec.min);
  if (spec.max !== undefined) out.push(spec.max);
  if (spec.kind === "float") out.push(((spec.min ?? 0) + (spec.max ?? 1)) / 2 + 0.25);
  if (spec.kind === "intOrDigits") out.push(String(spec.max));
  if (spec.nullable) out.push(null);
  if (spec.kind === "monthly") return out.map((value) => new Array(12).fill(value));
  return out;
}

/** A complete strategy with every table field present: the list example's item, meter, two storage devices. */
function fullBody(): Json {
  const body = (example("list_post").data as Json[])[0];
  delete body.id;
  return body;
}

interface Case {
  /** Path as it appears in msg, e.g. data.ele_meter.port. */
  path: string;
  value: unknown;
  /** true: remove the field instead of setting it. */
  remove?: boolean;
}

/** Set (or remove) a field of `body` addressed by a path relative to the strategy: ["ele_meter","port"]. */
function mutate(body: Json, where: (string | number)[], value: unknown, remove: boolean): Json {
  const copy = JSON.parse(JSON.stringify(body)) as Json;
  let target = copy as Record<string | number, unknown>;
  for (let i = 0; i < where.length - 1; i++) target = target[where[i]] as Record<string | number, unknown>;
  const last = where[where.length - 1];
  if (remove) delete target[last];
  else target[last] = value;
  return copy;
}

function pathText(prefix: string, where: (string | number)[]): string {
  return where.reduce<string>((acc, part) => (typeof part === "number" ? `${acc}[${part}]` : `${acc}.${part}`), prefix);
}

function snapshot(r: Rig): string {
  return JSON.stringify([r.store.loadAll(), r.store.loadNextId(), r.handler.strategies.map((e) => [e.id, e.bytes, r.handler.body(e.id)])]);
}

/** Where each table's fields live inside a full strategy, and whether a missing field is checked there. */
const LOCATIONS: { table: readonly FieldSpec[]; where: (string | number)[]; base: () => Json }[] = [
  { table: STRATEGY_FIELDS, where: [], base: fullBody },
  { table: METER_FIELDS, where: ["ele_meter"], base: fullBody },
  { table: EMS_DEVICE_FIELDS, where: ["devices", 1], base: fullBody },
  {
    table: OTHER_DEVICE_FIELDS,
    where: ["devices", 0],
    base: () => ({ ...fullBody(), device_type: 3, devices: [{ uid: "pv-1", name: "PV 1", running_status: 1 }] }),
  },
];

/** Every bad case of a table at a location. */
function badCases(table: readonly FieldSpec[], where: (string | number)[]): (Case & { where: (string | number)[] })[] {
  const out: (Case & { where: (string | number)[] })[] = [];
  for (const spec of table) {
    const at = [...where, spec.name];
    for (const value of [...wrongTypes(spec), ...outOfRange(spec)]) out.push({ where: at, path: pathText("", at), value });
    if (spec.required) out.push({ where: at, path: pathText("", at), value: undefined, remove: true });
    if (spec.kind === "monthly") {
      for (let month = 0; month < 12; month++) {
        for (const value of ["2000", 1.5, null, -1, (spec.max as number) + 1]) {
          out.push({ where: [...at, month], path: pathText("", [...at, month]), value });
        }
      }
      out.push({ where: at, path: pathText("", at), value: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] });
      out.push({ where: at, path: pathText("", at), value: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] });
    }
  }
  return out;
}

for (const location of LOCATIONS) {
  const label = location.where.length === 0 ? "strategy" : location.where.join(".");

  test(`create: every ${label} field wrong, null, out of range or missing -> 400 naming it, store unchanged`, (t) => {
    const r = rig();
    t.is(r.reply("create", command("create", "seed", { ...fullBody(), ele_meter_id: 77, ele_meter: null })).code, 200);
    let n = 0;
    for (const c of badCases(location.table, location.where)) {
      const before = snapshot(r);
      const body = mutate(location.base(), c.where, c.value, c.remove === true);
      const reply = r.reply("create", command("create", `m${n++}`, body));
      const what = `${c.path} = ${c.remove ? "(missing)" : JSON.stringify(c.value)}`;
      t.is(reply.code, 400, what);
      t.true(String(reply.msg).startsWith(`data${c.path}: `), `${what}: msg ${reply.msg}`);
      t.is(snapshot(r), before, what);
    }
    t.true(n > 5);
  });

  test(`update_all: every ${label} field bad in the second item -> 400 naming data[1]..., old set kept`, (t) => {
    const r = rig();
    t.is(r.reply("create", command("create", "seed")).code, 200);
    let n = 0;
    for (const c of badCases(location.table, location.where)) {
      const before = snapshot(r);
      const good = { ...(example("update_all_command").data as Json[])[0], ele_meter_id: 1234 };
      const body = mutate(location.base(), c.where, c.value, c.remove === true);
      const reply = r.reply("update_all", command("update_all", `m${n++}`, [good, body]));
      const what = `${c.path} = ${c.remove ? "(missing)" : JSON.stringify(c.value)}`;
      t.is(reply.code, 400, what);
      t.true(String(reply.msg).startsWith(`data[1]${c.path}: `), `${what}: msg ${reply.msg}`);
      t.is(snapshot(r), before, what);
    }
  });

  test(`update: every ${label} field bad in a patch -> 400 naming it, stored strategy unchanged`, (t) => {
    const r = rig();
    t.is(r.reply("create", command("create", "seed", location.base())).code, 200);
    let n = 0;
    for (const c of badCases(location.table, location.where)) {
      if (c.remove || c.where[0] === "id") continue; // a patch omits what it does not change; id is the key
      const before = snapshot(r);
      // The patch carries the top-level field that contains the mutated value (a meter or device list whole).
      const full = mutate(location.base(), c.where, c.value, false);
      const top = c.where[0] as string;
      const reply = r.reply("update", command("update", `m${n++}`, { id: 1, [top]: full[top] }));
      const what = `${c.path} = ${JSON.stringify(c.value)}`;
      t.is(reply.code, 400, what);
      t.true(String(reply.msg).startsWith(`data${c.path}: `), `${what}: msg ${reply.msg}`);
      t.is(snapshot(r), before, what);
    }
  });

  test(`create: every ${label} field at the edges of its range is accepted`, (t) => {
    for (const spec of location.table) {
      for (const value of edges(spec)) {
        const r = rig();
        let body = mutate(location.base(), [...location.where, spec.name], value, false);
        if (location.where.length === 0 && spec.name === "ele_meter_id") body = { ...body, ele_meter: null };
        if (location.where[0] === "ele_meter" && spec.name === "id") body = { ...body, ele_meter_id: value };
        if (location.where.length === 0 && spec.name === "device_type" && value !== 2) body = { ...body, devices: [] };
        const reply = r.reply("create", command("create", "edge", body));
        t.is(reply.code, 200, `${spec.name} = ${JSON.stringify(value)}: ${reply.msg}`);
      }
    }
  });
}

test("optional fields may be missing; required ones are exactly the table's and the examples' common ones", (t) => {
  const required = STRATEGY_FIELDS.filter((spec) => spec.required).map((spec) => spec.name);
  t.deepEqual(required, ["ele_meter_id", "streaming_status", "over_demand_condition", "over_demand_status", "dynamic_demand_percentage"]);
  const r = rig();
  const minimal: Json = {};
  for (const name of required) minimal[name] = (example("create_command").data as Json)[name];
  t.is(r.reply("create", command("create", "min", minimal)).code, 200);
});

test("the meter object must be the meter named by ele_meter_id", (t) => {
  const r = rig();
  const reply = r.reply("create", command("create", "c", { ...fullBody(), ele_meter_id: 11 }));
  t.is(reply.msg, "data.ele_meter.id: must equal data.ele_meter_id (11), got 10");
});

test("ids: create ignores a platform id; update_all refuses duplicate ids; ids stay within int32", (t) => {
  const r = rig();
  t.deepEqual(r.reply("create", command("create", "c", { ...fullBody(), id: 99 })).data, { id: 1 });
  const item = (example("update_all_command").data as Json[])[0];
  const dup = r.reply("update_all", command("update_all", "u", [{ ...item, id: 5 }, { ...item, id: 5, ele_meter_id: 3 }]));
  t.is(dup.msg, "data[1].id: same id as data[0].id (5)");
  const top = r.reply("update_all", command("update_all", "u2", [{ ...item, id: MAX_ID }]));
  t.is(top.code, 200);
  const exhausted = r.reply("create", command("create", "c2"));
  t.is(exhausted.code, 400);
  t.regex(exhausted.msg as string, /^data: no strategy id left/);
});

/** The envelope's own fields. */
const ENVELOPE_CASES: { field: string; value: unknown; remove?: boolean; msg: RegExp }[] = [
  { field: "mid", value: undefined, remove: true, msg: /^mid: required$/ },
  { field: "mid", value: 5, msg: /^mid: must be a string/ },
  { field: "mid", value: "", msg: /^mid: must be a string/ },
  { field: "mid", value: "x".repeat(65), msg: /^mid: must be a string/ },
  { field: "device_uid", value: undefined, remove: true, msg: /^device_uid: required$/ },
  { field: "device_uid", value: 7, msg: /^device_uid: this device is/ },
  { field: "device_uid", value: "other", msg: /^device_uid: this device is/ },
  { field: "type", value: undefined, remove: true, msg: /^type: required$/ },
  { field: "type", value: "streaming_overdemand_update", msg: /^type: must be "streaming_overdemand_create"/ },
  { field: "timestamp", value: undefined, remove: true, msg: /^timestamp: required$/ },
  { field: "timestamp", value: 0, msg: /^timestamp: must be a positive integer/ },
  { field: "timestamp", value: -1, msg: /^timestamp: must be a positive integer/ },
  { field: "timestamp", value: 1.5, msg: /^timestamp: must be a positive integer/ },
  { field: "timestamp", value: "1695265371000", msg: /^timestamp: must be a positive integer/ },
  { field: "trace_id", value: 12, msg: /^trace_id: must be a string/ },
  { field: "data", value: undefined, remove: true, msg: /^data: required$/ },
  { field: "data", value: [1], msg: /^data: must be an object/ },
  { field: "data", value: null, msg: /^data: must be an object/ },
];

test("envelope: every field wrong or missing -> 400 naming it, store unchanged", (t) => {
  const r = rig();
  let n = 0;
  for (const c of ENVELOPE_CASES) {
    const before = snapshot(r);
    // A fresh mid per case: a repeated mid would be answered with the remembered reply (duplicate handling).
    const message = command("create", `env-${n++}`);
    if (c.remove) delete message[c.field];
    else message[c.field] = c.value;
    const reply = r.reply("create", message);
    t.is(reply.code, 400, c.field);
    t.regex(reply.msg as string, c.msg, `${c.field} = ${JSON.stringify(c.value)}`);
    t.is(snapshot(r), before);
  }
  for (const payload of ["{", "[]", "42", "null"]) {
    const reply = r.reply("create", payload);
    t.is(reply.code, 400);
    t.is(reply.reply, "");
    t.regex(reply.msg as string, /^payload: /);
  }
  t.is(r.store.loadAll().length, 0);
});

test("update_all: data must be a list, at most limits.maxStrategies long, one strategy per meter and device type", (t) => {
  const r = rig({ maxStrategies: 3 });
  const item = (example("update_all_command").data as Json[])[0];
  t.regex(r.reply("update_all", command("update_all", "a", item)).msg as string, /^data: must be an array of strategies/);
  const four = [1, 2, 3, 4].map((meter) => ({ ...item, ele_meter_id: meter }));
  t.is(r.reply("update_all", command("update_all", "b", four)).msg, "data: at most 3 strategies (limits.maxStrategies), got 4");
  t.is(
    r.reply("update_all", command("update_all", "c", [item, { ...item, streaming_status: 2 }])).msg,
    "data[1].ele_meter_id: same meter (9) and device_type (2) as data[0]",
  );
  t.is(r.reply("update_all", command("update_all", "d", [item, { ...item, device_type: 3 }])).code, 200);
  t.is(r.reply("update_all", command("update_all", "e", [])).code, 200);
  t.is(r.store.loadAll().length, 0);
  t.true(r.counters.value("overdemand_limit_hits") >= 1);
});

test("create: a second strategy for the same meter and device type is refused, naming the one that covers it", (t) => {
  const r = rig({ maxStrategies: 2 });
  t.is(r.reply("create", command("create", "a")).code, 200);
  t.is(r.reply("create", command("create", "b")).msg, "data.ele_meter_id: strategy 1 already covers meter 9 for device_type 2");
  t.is(r.reply("create", command("create", "c", { ...(example("create_command").data as Json), ele_meter_id: 10 })).code, 200);
  t.is(
    r.reply("create", command("create", "d", { ...(example("create_command").data as Json), ele_meter_id: 11 })).msg,
    "data: at most 2 strategies (limits.maxStrategies)",
  );
});

test("a list larger than one packet is reported in parts, never refused for size; only a strategy larger than a part is", (t) => {
  const r = rig({ maxPacketBytes: 4096 });
  for (let meter = 1; meter <= 10; meter++) {
    const reply = r.reply("create", command("create", `c${meter}`, { ...fullBody(), ele_meter_id: meter, ele_meter: null }));
    t.is(reply.code, 200, `strategy ${meter}: ${String(reply.msg)}`);
  }
  const report = r.handler.listReport("x".repeat(128));
  t.not(report.rest, null, "the list of 10 does not fit one 4 KiB packet");
  const parts = [report.payload];
  for (let part = report.rest!.next(); part !== null; part = report.rest!.next()) parts.push(part);
  t.is(parts.length, report.rest!.parts);
  const ids: number[] = [];
  const mids = new Set<string>();
  parts.forEach((text, i) => {
    t.true(new TextEncoder().encode(text).length < 4096 - 200, `part ${i + 1} fits with room for topic and header`);
    const message = JSON.parse(text) as { mid: string; type: string; part: number; parts: number; total: number; data: { id: number }[]; trace_id: string };
    t.like(message, { type: "streaming_overdemand_list", part: i + 1, parts: parts.length, total: 10, device_uid: "iYRkfVpi77" });
    t.is(message.trace_id, "x".repeat(128));
    mids.add(message.mid);
    ids.push(...message.data.map((s) => s.id));
  });
  t.is(mids.size, parts.length, "each part is a message of its own (fresh mid)");
  t.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "every strategy once, in id order");
  // The sync result in parts too: each a result for the same command.
  const sync = r.send("sync", command("sync", "s-1"));
  t.not(sync[0].rest, null);
  const first = JSON.parse(sync[0].payload) as Record<string, unknown>;
  t.like(first, { type: "streaming_overdemand_sync", reply: "s-1", code: 200, part: 1, total: 10 });
  const second = JSON.parse(sync[0].rest!.next() as string) as Record<string, unknown>;
  t.like(second, { reply: "s-1", code: 200, part: 2 });
  // One strategy larger than a whole part: refused, naming the bound, and counted.
  const huge = r.reply("create", command("create", "huge", { ...fullBody(), ele_meter_id: 99, ele_meter: null, note: "y".repeat(4000) }));
  t.is(huge.code, 400);
  t.regex(huge.msg as string, /^data: strategy 11 would need \d+ bytes, a report carries at most 3446 \(mqtt.maxPacketBytes\)$/);
  t.is(r.counters.value("overdemand_limit_hits"), 1);
});

test("a reused mid: the same command again gets its remembered reply on its own topic; another action or body is a new command", (t) => {
  const r = rig();
  const shared = "ee2e8f09-b280-4e4d-bcb9-1529b703cfed"; // the spec's examples all carry this mid
  const create = command("create", shared);
  t.is(r.reply("create", create).code, 200);
  const again = r.send("create", create);
  t.is(again[0].topicSuffix, "streaming_overdemand/create/result");
  t.is(JSON.parse(again[0].payload).code, 200);
  t.is(again.length, 1, "a redelivery is not applied again (no new list report)");
  t.is(r.handler.strategies.length, 1);
  // The spec's update example under the same mid: applied, answered on the update topic.
  const update = r.send("update", command("update", shared, { id: 1, streaming_status: 2 }));
  t.is(update[0].topicSuffix, "streaming_overdemand/update/result");
  t.like(JSON.parse(update[0].payload), { type: "streaming_overdemand_update", reply: shared, code: 200 });
  t.is(r.handler.body(1).streaming_status, 2, "applied, not answered with the create's reply");
  // Same mid and action, another body: a new command.
  t.is(r.reply("update", command("update", shared, { id: 1, streaming_status: 1 })).code, 200);
  t.is(r.handler.body(1).streaming_status, 1);
  // A refusal is remembered for its own identity only.
  const bad = command("delete", shared, { id: 7 });
  t.is(r.reply("delete", bad).code, 400);
  t.is(r.reply("delete", bad).code, 400);
  t.is(r.reply("delete", command("delete", shared, { id: 1 })).code, 200, "the delete of a known id under the same mid is applied");
  t.is(r.handler.strategies.length, 0);
  t.true(r.counters.value("overdemand_reused_mids") >= 3);
  t.is(r.counters.value("overdemand_duplicates"), 2);
});
