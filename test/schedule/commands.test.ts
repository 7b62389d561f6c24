import test from "ava";
import { ScheduleCommandHandler, type ScheduleReply } from "../../src/schedule/commands";
import { makeFixture, task, utc, type Fixture } from "./fixture";

function setup(capacity = 32): { f: Fixture; handler: ScheduleCommandHandler; send: (cmd: Record<string, unknown>, key?: string) => ScheduleReply } {
  // The gateway's sn is the spec examples' (a command for another sn is refused: see "sn" below).
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 9, 0), capacity, triggerWords: 16, sn: "1234567890123" });
  const handler = new ScheduleCommandHandler({ scheduler: f.scheduler, repository: f.repository, properties: f.properties, clock: f.loop, sn: "1234567890123", maxReplyBytes: 4096, counters: f.counters });
  f.run(1000);
  let msgid = 1000;
  const send = (payload: Record<string, unknown>, key = "payload "): ScheduleReply =>
    handler.handle({ msgid: msgid++, method: "schedule", sn: "1234567890123", timestamp: 1638869990, [key]: payload });
  return { f, handler, send };
}

// The spec's examples with its comments, trailing commas and "{ ... }" placeholders removed, "payload " kept.
const SPEC_SET_TASKS = [
  {
    taskId: "123",
    enable: 1,
    priority: 1,
    startTime: 1710957600,
    endTime: 1729447200,
    cycle: { mode: "simple", dstEnable: 1, time: "10:00:00", period: "week", weekday: [1, 3, 4, 6, 7], monthday: [1, 15, 25] },
    actions: [
      { method: "operate", payload: { method: "FORCESWITCH", ForceSwitch: 0, groupid: "3_1" } },
      { method: "operate_raw", payload: { addr: "1_1", portid: "1", meteraddr: "1", functionid: "Switch", value: 1 } },
    ],
  },
  {
    taskId: "124",
    enable: 1,
    priority: 1,
    startTime: 1710957600,
    endTime: 1729447200,
    cycle: { mode: "cron", dstEnable: 1, cron: "0 0/15 * * * ?" },
    actions: [{ method: "operate_raw", payload: { addr: "1_1", portid: "1", meteraddr: "1", functionid: "Switch", value: 1 } }],
  },
  {
    taskId: "125",
    enable: 1,
    priority: 1,
    startTime: 1710957600,
    endTime: 1729447200,
    cycle: {
      mode: "trigger",
      dstEnable: 1,
      trigger: {
        or: [
          { and: [{ addr: "1_1", op: "GT", prop: "Ua", value: 220 }, { groupid: 1, op: "LT", prop: "Ua", value: 250 }] },
          { and: [{ op: "GT", prop: "${time}", value: "10:00:00" }, { op: "LT", prop: "${time}", value: "18:00:00" }] },
        ],
      },
      period: "week",
      weekday: [1, 3, 4, 6, 7],
      monthday: [1, 15, 25],
    },
    actions: [{ method: "operate_raw", payload: { addr: "1_1", portid: "1", meteraddr: "1", functionid: "Switch", value: 1 } }],
  },
];

test("the spec's examples: SET, ADD, DELETE, UPDATE, ENABLE_ALL, ENABLE, CLEAR, READ_ALL, READ", (t) => {
  const { f, send } = setup();
  const set = send({ cmd: "SET", tasks: SPEC_SET_TASKS });
  t.like(set, { msgid: 1000, method: "schedule", sn: "1234567890123", res: 1, errcode: "0", timestamp: utc(2026, 5, 1, 9, 0, 1) });
  t.is(set.tasks, undefined);
  t.deepEqual(f.repository.list().sort(), ["123", "124", "125"]);
  t.is(f.scheduler.table.count, 3);
  // The spec's startTime/endTime (2024) lie in the past: the tasks expire at the next second.
  const all = send({ cmd: "READ_ALL" });
  t.is(all.res, 1);
  t.deepEqual((all.tasks as { taskId: string }[]).map((x) => x.taskId).sort(), ["123", "124", "125"]);
  t.like(send({ cmd: "ADD", tasks: [task("126", { mode: "cron", cron: "0 0 12 * * ?" }), task("127", { mode: "simple", time: "sunset", period: "day" })] }), { res: 1 });
  t.like(send({ cmd: "DELETE", tasks: [{ taskId: "125" }, { taskId: "126" }] }), { res: 1 });
  t.deepEqual(f.repository.list().sort(), ["123", "124", "127"]);
  t.like(send({ cmd: "UPDATE", tasks: [task("124", { mode: "cron", cron: "0 30 * * * ?" })] }), { res: 1 });
  t.is(JSON.parse(f.repository.get("124")!).cycle.cron, "0 30 * * * ?");
  t.is(f.scheduler.nextFireOf("124"), utc(2026, 5, 1, 9, 30));
  t.like(send({ cmd: "ENABLE_ALL", enable: 0 }), { res: 1 });
  t.true(f.repository.list().every((id) => JSON.parse(f.repository.get(id)!).enable === 0));
  t.is(f.scheduler.nextFireOf("124"), Infinity);
  t.like(send({ cmd: "ENABLE", tasks: [{ taskId: "124", enable: 1 }, { taskId: "127", enable: 0 }] }), { res: 1 });
  t.is(JSON.parse(f.repository.get("124")!).enable, 1);
  t.is(f.scheduler.nextFireOf("124"), utc(2026, 5, 1, 9, 30));
  const read = send({ cmd: "READ", tasks: [{ taskId: "124" }, { taskId: "127" }] });
  t.deepEqual((read.tasks as { taskId: string; enable: number }[]).map((x) => `${x.taskId}:${x.enable}`), ["124:1", "127:0"]);
  t.like(send({ cmd: "CLEAR" }), { res: 1 });
  t.deepEqual(f.repository.list(), []);
  t.is(f.scheduler.table.count, 0);
  t.deepEqual(send({ cmd: "READ_ALL" }).tasks, []);
});

test('both "payload" and the spec\'s "payload " are accepted', (t) => {
  const { send } = setup();
  t.like(send({ cmd: "READ_ALL" }, "payload"), { res: 1 });
  t.like(send({ cmd: "READ_ALL" }, "payload "), { res: 1 });
});

test("a stored task runs and is reported with its snapshot (command to event)", (t) => {
  const { f, send } = setup();
  send({ cmd: "ADD", tasks: [task("9", { mode: "cron", cron: "0 0 18 * * ?" })] }); // 10:00 UTC in CST-8
  f.runUntil(utc(2026, 5, 1, 10, 0, 2));
  t.deepEqual(f.sink.runs(), ["9:1:0"]);
  const event = f.sink.messages[0].payload.events[0];
  t.deepEqual(event.payload.task, JSON.parse(f.repository.get("9")!));
  t.is(event.addr, "1234567890123");
  t.is(event.endpoint, "GATEWAY");
});

test("malformed commands: 5014 naming what is wrong", (t) => {
  const { handler, send } = setup();
  t.like(handler.handle("SET"), { res: 0, errcode: "5014" });
  t.like(handler.handle({ msgid: 1, method: "schedule" }), { res: 0, errcode: "5014", msgid: 1 });
  t.like(handler.handle({ msgid: 1, method: "event", payload: { cmd: "READ_ALL" } }), { res: 0, errcode: "5014" });
  t.regex(send({ cmd: "PURGE" }).msg ?? "", /payload.cmd/);
  t.like(send({ cmd: "ADD" }), { res: 0, errcode: "5014", msg: "payload.tasks: must be an array" });
  t.like(send({ cmd: "ADD", tasks: [] }), { res: 0, errcode: "5009" });
  t.like(send({ cmd: "ENABLE_ALL", enable: 2 }), { res: 0, errcode: "5009", msg: "payload.enable: must be 1 or 0" });
});

test("not found, duplicates, capacity and storage failures change nothing", (t) => {
  const { f, send } = setup(3);
  send({ cmd: "ADD", tasks: [task("a", { mode: "cron", cron: "0 0 12 * * ?" })] });
  const before = JSON.stringify([...f.repository.records]);
  const unchanged = (): void => {
    t.is(JSON.stringify([...f.repository.records]), before);
    t.is(f.scheduler.table.count, 1);
  };
  t.like(send({ cmd: "DELETE", tasks: [{ taskId: "zz" }, { taskId: "yy" }] }), { res: 0, errcode: "5010", msg: 'tasks: "zz", "yy" do not exist; nothing was deleted' });
  unchanged();
  t.like(send({ cmd: "UPDATE", tasks: [task("zz", { mode: "cron", cron: "0 0 12 * * ?" })] }), { res: 0, errcode: "5010" });
  t.like(send({ cmd: "ENABLE", tasks: [{ taskId: "zz", enable: 0 }] }), { res: 0, errcode: "5010" });
  t.like(send({ cmd: "READ", tasks: [{ taskId: "zz" }] }), { res: 0, errcode: "5010" });
  t.like(send({ cmd: "ADD", tasks: [task("a", { mode: "cron", cron: "0 0 12 * * ?" })] }), { res: 0, errcode: "5011" });
  t.like(send({ cmd: "ADD", tasks: [task("b", { mode: "cron", cron: "0 0 12 * * ?" }), task("b", { mode: "cron", cron: "0 0 13 * * ?" })] }), { res: 0, errcode: "5011" });
  t.like(send({ cmd: "SET", tasks: ["b", "c", "d", "e"].map((id) => task(id, { mode: "cron", cron: "0 0 12 * * ?" })) }), { res: 0, errcode: "5012" });
  const bigTrigger = { and: Array.from({ length: 17 }, () => ({ addr: "1_1", op: "GT", prop: "Ua", value: 1 })) };
  t.like(send({ cmd: "ADD", tasks: [task("t", { mode: "trigger", trigger: bigTrigger })] }), { res: 0, errcode: "5012", msg: "trigger conditions need 18 nodes, the pool holds 16" });
  f.repository.failNext = "flash full";
  t.like(send({ cmd: "ADD", tasks: [task("b", { mode: "cron", cron: "0 0 12 * * ?" })] }), { res: 0, errcode: "5013", msg: "the store refused the change: flash full" });
  f.repository.failNext = "flash full";
  t.like(send({ cmd: "SET", tasks: [] }), { res: 0, errcode: "5013" });
  unchanged();
});

test("READ_ALL larger than one message is answered in parts, each a complete reply of at most maxReplyBytes", (t) => {
  const { handler, send } = setup();
  const big = Array.from({ length: 12 }, (_, i) => task(`big${i}`, { mode: "cron", cron: "0 0 12 * * ?" }, { note: "x".repeat(300) }));
  t.like(send({ cmd: "SET", tasks: big }), { res: 1 });
  const pages = handler.handleCommand('{"msgid": 628131887239491584, "method": "schedule", "sn": "1234567890123", "payload ": {"cmd": "READ_ALL"}}');
  t.true(pages.parts > 1, `${pages.parts} parts`);
  const ids: string[] = [];
  for (let part = 1; part <= pages.parts; part++) {
    const text = pages.next();
    t.truthy(text, `part ${part}`);
    t.true(Buffer.byteLength(text as string) <= 4096, `part ${part}: ${Buffer.byteLength(text as string)} bytes`);
    t.true((text as string).startsWith('{"msgid":628131887239491584,'), "the 64-bit msgid kept exact in every part");
    const reply = JSON.parse(text as string) as { tasks: { taskId: string }[] };
    t.like(reply, { method: "schedule", sn: "1234567890123", res: 1, errcode: "0", part, parts: pages.parts, total: 12 });
    ids.push(...reply.tasks.map((x) => x.taskId));
  }
  t.is(pages.next(), null, "no part beyond parts");
  t.deepEqual(ids.sort(), big.map((x) => x.taskId as string).sort(), "every task exactly once");
  // One that fits is one message without part fields, as before.
  const read = send({ cmd: "READ", tasks: [{ taskId: "big1" }, { taskId: "big2" }] });
  t.is(read.tasks?.length, 2);
  t.is(read.parts, undefined);
  // The object API cannot carry several messages: it says so rather than return a part.
  t.throws(() => send({ cmd: "READ_ALL" }), { message: /use handleCommand/ });
});

test("DELETE with some unknown ids deletes the known ones and names the unknown in the reply", (t) => {
  const { f, send } = setup();
  send({ cmd: "ADD", tasks: [task("125", { mode: "cron", cron: "0 0 12 * * ?" }), task("127", { mode: "cron", cron: "0 0 13 * * ?" })] });
  const reply = send({ cmd: "DELETE", tasks: [{ taskId: "125" }, { taskId: "126" }] });
  t.like(reply, { res: 1, errcode: "0", unknownTaskIds: ["126"], msg: 'tasks: "126" did not exist; 1 deleted' });
  t.deepEqual([...f.repository.records.keys()], ["127"]);
  t.is(f.scheduler.table.find("125"), -1);
  t.true(f.scheduler.table.find("127") >= 0);
});

test("sn: a command for another gateway is refused with 5015 naming sn, changes nothing, and the reply carries this gateway's sn", (t) => {
  const { f, handler, send } = setup();
  send({ cmd: "ADD", tasks: [task("a", { mode: "cron", cron: "0 0 12 * * ?" })] });
  const before = JSON.stringify([...f.repository.records]);
  for (const cmd of [{ cmd: "CLEAR" }, { cmd: "SET", tasks: [] }, { cmd: "DELETE", tasks: [{ taskId: "a" }] }, { cmd: "READ_ALL" }]) {
    const reply = handler.handle({ msgid: 9, method: "schedule", sn: "9999999999999", "payload ": cmd });
    t.like(reply, { res: 0, errcode: "5015", sn: "1234567890123" }, cmd.cmd);
    t.regex(reply.msg ?? "", /^sn: this gateway is "1234567890123", the command is for "9999999999999"/);
    t.is(reply.tasks, undefined);
  }
  t.like(handler.handle({ msgid: 10, sn: 1234567890123, payload: { cmd: "CLEAR" } }), { res: 0, errcode: "5015" }, "a number is not the sn");
  t.is(JSON.stringify([...f.repository.records]), before);
  t.is(f.scheduler.table.count, 1);
  // Without sn the command is taken as this gateway's (the spec's table does not require it).
  t.like(handler.handle({ msgid: 11, payload: { cmd: "READ_ALL" } }), { res: 1, sn: "1234567890123" });
});

test("a reused msgid: the same command again gets the remembered reply; another cmd or body under it is a new command", (t) => {
  const { f, handler } = setup();
  const text = (payload: Record<string, unknown>) => JSON.stringify({ msgid: 628131887239491584, method: "schedule", sn: "1234567890123", timestamp: 1638869990, "payload ": payload });
  const add = text({ cmd: "ADD", tasks: [task("124", { mode: "cron", cron: "0 0/15 * * * ?" })] });
  t.like(JSON.parse(handler.handleText(add)), { res: 1 });
  t.like(JSON.parse(handler.handleText(add)), { res: 1 }, "a redelivery: the remembered reply, not 5011");
  t.is(f.repository.writes, 1, "applied once");
  // The same msgid with another cmd (the spec's examples all share one): applied.
  const readAll = JSON.parse(handler.handleText(text({ cmd: "READ_ALL" })));
  t.like(readAll, { res: 1 });
  t.is(readAll.tasks.length, 1, "READ_ALL answered with the tasks, not with the ADD's reply");
  // The same msgid and cmd with another body: applied as a new command.
  t.like(JSON.parse(handler.handleText(text({ cmd: "ADD", tasks: [task("125", { mode: "cron", cron: "0 0 12 * * ?" })] }))), { res: 1 });
  t.deepEqual([...f.repository.records.keys()].sort(), ["124", "125"]);
  t.is(f.counters.value("schedule_reused_msgids"), 2);
});

test("a bad task is refused with its field named, and nothing changes", (t) => {
  const { f, send } = setup();
  const good = task("ok", { mode: "simple", time: "10:00:00", period: "day" });
  const cases: [Record<string, unknown>, string][] = [
    [{ taskId: "" }, "tasks[1].taskId"],
    [{ taskId: "x".repeat(65) }, "tasks[1].taskId"],
    [{ enable: 2 }, "tasks[1].enable"],
    [{ priority: -1 }, "tasks[1].priority"],
    [{ priority: 1.5 }, "tasks[1].priority"],
    [{ startTime: "soon" }, "tasks[1].startTime"],
    [{ endTime: 1729447200000 }, "tasks[1].endTime"],
    [{ startTime: 1729447200, endTime: 1710957600 }, "tasks[1].endTime"],
    [{ cycle: null }, "tasks[1].cycle"],
    [{ cycle: { mode: "hourly" } }, "tasks[1].cycle.mode"],
    [{ cycle: { mode: "simple", time: "25:00:00", period: "day" } }, "tasks[1].cycle.time"],
    [{ cycle: { mode: "simple", time: "sunset+13:00", period: "day" } }, "tasks[1].cycle.time"],
    [{ cycle: { mode: "simple", time: "10:00:00" } }, "tasks[1].cycle.period"],
    [{ cycle: { mode: "simple", time: "10:00:00", period: "week" } }, "tasks[1].cycle.weekday"],
    [{ cycle: { mode: "simple", time: "10:00:00", period: "week", weekday: [1, 8] } }, "tasks[1].cycle.weekday[1]"],
    [{ cycle: { mode: "simple", time: "10:00:00", period: "month", monthday: [0] } }, "tasks[1].cycle.monthday[0]"],
    [{ cycle: { mode: "simple", time: "10:00:00", period: "day", dstEnable: "yes" } }, "tasks[1].cycle.dstEnable"],
    [{ cycle: { mode: "cron" } }, "tasks[1].cycle.cron"],
    [{ cycle: { mode: "cron", cron: "0 0 0 30 2 ?" } }, "tasks[1].cycle.cron"],
    [{ cycle: { mode: "trigger" } }, "tasks[1].cycle.trigger"],
    [{ cycle: { mode: "trigger", trigger: { or: [] } } }, "tasks[1].cycle.trigger.or"],
    [{ cycle: { mode: "trigger", trigger: { and: [{ addr: "1_1", op: "GTE", prop: "Ua", value: "high" }] } } }, "tasks[1].cycle.trigger.and[0].value"],
    [{ cycle: { mode: "trigger", trigger: { or: [{ and: [{ addr: "1_1", op: "BETWEEN", prop: "Ua", value: 1 }] }] } } }, "tasks[1].cycle.trigger.or[0].and[0].op"],
    [{ cycle: { mode: "trigger", trigger: { addr: "1_1", groupid: 1, op: "EX", prop: "Ua" } } }, "tasks[1].cycle.trigger"],
    [{ cycle: { mode: "trigger", trigger: { op: "GT", prop: "${time}", value: "noon" } } }, "tasks[1].cycle.trigger.value"],
    [{ actions: [] }, "tasks[1].actions"],
    [{ actions: [{ method: "reboot", payload: {} }] }, "tasks[1].actions[0].method"],
    [{ actions: [{ method: "operate" }] }, "tasks[1].actions[0].payload"],
  ];
  for (const [change, field] of cases) {
    const bad = { ...task("bad", { mode: "simple", time: "10:00:00", period: "day" }), ...change };
    for (const cmd of ["SET", "ADD"]) {
      const reply = send({ cmd, tasks: [good, bad] });
      t.is(reply.res, 0, `${cmd} ${JSON.stringify(change)}`);
      t.is(reply.errcode, "5009", `${cmd} ${JSON.stringify(change)}`);
      t.true((reply.msg ?? "").startsWith(`${field}:`), `${JSON.stringify(change)}: "${reply.msg}" should name ${field}`);
    }
  }
  t.deepEqual(f.repository.list(), []);
  t.is(f.scheduler.table.count, 0);
  t.is(f.repository.writes, 0);
});

test("defaults and normalisation: priority 1, enable 1, dstEnable 1, empty times stored as null", (t) => {
  const { f, send } = setup();
  t.like(send({ cmd: "ADD", tasks: [{ taskId: 77, startTime: "", endTime: null, cycle: { mode: "cron", cron: "0 0 12 * * ?" }, actions: [{ method: "transport", payload: { data: "01" } }] }] }), { res: 1 });
  t.deepEqual(JSON.parse(f.repository.get("77")!), {
    taskId: "77",
    enable: 1,
    priority: 1,
    startTime: null,
    endTime: null,
    cycle: { mode: "cron", cron: "0 0 12 * * ?", dstEnable: 1 },
    actions: [{ method: "transport", payload: { data: "01" } }],
  });
});
