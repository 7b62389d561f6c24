import test from "ava";
import { sunEventUtc, SUNRISE } from "../../src/time/solar";
import { daysFromCivil } from "../../src/time/civil";
import { iso, makeFixture, task, utc } from "./fixture";

const CET = { latitude: 48.2, longitude: 16.37, timezone: "CET-1CEST,M3.5.0,M10.5.0/3" };

test("nothing fires before the clock is synced; planning starts at the sync", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 9, 59, 0), synced: false, tickMs: 250 });
  f.add(task("a", { mode: "simple", time: "18:00:00", period: "day" })); // 10:00 UTC in CST-8
  f.runUntil(utc(2026, 5, 1, 10, 5));
  t.deepEqual(f.fireTimes(), []);
  t.false(f.scheduler.synced);
  f.loop.setWall(utc(2026, 5, 1, 10, 5) * 1000, true);
  f.runUntil(utc(2026, 5, 2, 10, 1));
  t.deepEqual(f.fireTimes(), ["2026-05-02T10:00:00Z"]);
  t.deepEqual(f.sink.runs(), ["a:1:0"]);
});

test("DST in the scheduler: gap fires once at the transition, overlap fires a fixed time once", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 3, 28, 12), site: CET });
  f.add(task("fixed", { mode: "simple", time: "02:30:00", period: "day" }));
  f.runUntil(utc(2026, 3, 30, 12));
  t.deepEqual(f.fireTimes(), ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]);
  const g = makeFixture({ wallStart: utc(2026, 10, 24, 12), site: CET });
  g.add(task("fixed", { mode: "simple", time: "02:30:00", period: "day" }));
  g.add(task("interval", { mode: "cron", cron: "0 0/30 2 * * ?" }));
  g.runUntil(utc(2026, 10, 25, 12));
  t.deepEqual(g.sink.runs(), ["interval:1:0", "fixed:1:0", "interval:1:0", "interval:1:0", "interval:1:0"]);
  t.deepEqual(g.fireTimes(), ["2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z"]);
});

test("forward jump: fires missed by <= 60 s run once, older ones are skipped and logged", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 0, 0, 0) });
  f.add(task("every10s", { mode: "cron", cron: "*/10 * * * * ?" }));
  f.runUntil(utc(2026, 5, 1, 0, 0, 21));
  t.deepEqual(f.fireTimes(), ["2026-05-01T00:00:10Z", "2026-05-01T00:00:20Z"]);
  f.actions.calls.length = 0;
  // Jump 50 s ahead: 00:00:30 .. 00:01:10 are missed, all within 60 s: one run, at the next tick.
  f.loop.setWall(utc(2026, 5, 1, 0, 1, 11) * 1000);
  f.run(1000);
  t.deepEqual(f.fireTimes(), ["2026-05-01T00:01:12Z"]);
  t.is(f.counters.value("schedule_fires_skipped"), 0);
  f.actions.calls.length = 0;
  // Jump an hour ahead: the planned fire is 3590 s old: skipped and logged; one run for the last 60 s.
  f.loop.setWall(utc(2026, 5, 1, 1, 1, 15) * 1000);
  f.run(1000);
  t.deepEqual(f.fireTimes(), ["2026-05-01T01:01:16Z"]);
  t.is(f.counters.value("schedule_fires_skipped"), 1);
  t.true(f.logs.some((line) => line.includes("every10s") && line.includes("skipped")));
  // A daily task jumped over by two hours is skipped, not run late.
  const g = makeFixture({ wallStart: utc(2026, 5, 1, 9, 0, 0) });
  g.add(task("daily", { mode: "simple", time: "18:00:00", period: "day" })); // 10:00 UTC
  g.run(1000);
  g.loop.setWall(utc(2026, 5, 1, 12, 0, 0) * 1000);
  g.runUntil(utc(2026, 5, 2, 10, 0, 1));
  t.deepEqual(g.fireTimes(), ["2026-05-02T10:00:00Z"]);
  t.is(g.counters.value("schedule_fires_skipped"), 1);
});

test("backward jump: no task fires twice; a jump beyond the hold replans", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 9, 58) });
  f.add(task("daily", { mode: "simple", time: "18:00:00", period: "day" })); // 10:00 UTC
  f.add(task("edge", { mode: "trigger", trigger: { op: "GT", prop: "${time}", value: "18:00:30" } }));
  f.runUntil(utc(2026, 5, 1, 10, 1));
  t.deepEqual(f.fireTimes(), ["2026-05-01T10:00:00Z", "2026-05-01T10:00:31Z"]);
  // Back by 5 minutes: 10:00:00 and the trigger's edge at 10:00:31 come round again, and must not fire again.
  f.loop.setWall(utc(2026, 5, 1, 9, 56) * 1000);
  f.runUntil(utc(2026, 5, 1, 10, 30));
  t.is(f.actions.calls.length, 2);
  t.is(f.counters.value("schedule_clock_backward"), 1);
  // Next day both fire normally.
  f.runUntil(utc(2026, 5, 2, 10, 1));
  t.deepEqual(f.fireTimes().slice(2), ["2026-05-02T10:00:00Z", "2026-05-02T10:00:31Z"]);
  // A clock that was a year ahead and is corrected: everything is replanned from the corrected time.
  const g = makeFixture({ wallStart: utc(2027, 5, 1, 9, 0) });
  g.add(task("daily", { mode: "simple", time: "18:00:00", period: "day" }));
  g.run(2000);
  g.loop.setWall(utc(2026, 5, 1, 9, 0) * 1000);
  g.runUntil(utc(2026, 5, 1, 10, 1));
  t.deepEqual(g.fireTimes(), ["2026-05-01T10:00:00Z"]);
  t.true(g.logs.some((line) => line.includes("replanning")));
});

test("priority: while a higher-priority task is in effect, lower ones do not run", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 9, 0) });
  f.add(task("low", { mode: "simple", time: "18:00:00", period: "day" }, { priority: 1 }));
  f.add(task("high", { mode: "simple", time: "20:00:00", period: "day" }, { priority: 3, endTime: utc(2026, 5, 2, 0) }));
  f.runUntil(utc(2026, 5, 1, 12, 1));
  t.deepEqual(f.sink.runs(), ["high:1:0"]); // low (10:00 UTC) suppressed, high ran at 12:00 UTC
  t.is(f.counters.value("schedule_fires_suppressed"), 1);
  // Once "high" expires (endTime), "low" runs again.
  f.runUntil(utc(2026, 5, 2, 10, 1));
  t.deepEqual(f.sink.runs(), ["high:1:0", "low:1:0"]);
  // Equal priorities all run; a higher one not yet started (startTime ahead) does not suppress.
  const g = makeFixture({ wallStart: utc(2026, 5, 1, 9, 0) });
  g.add(task("a", { mode: "simple", time: "18:00:00", period: "day" }, { priority: 2 }));
  g.add(task("b", { mode: "simple", time: "18:00:00", period: "day" }, { priority: 2 }));
  g.add(task("later", { mode: "simple", time: "19:00:00", period: "day" }, { priority: 9, startTime: utc(2026, 6, 1) }));
  g.runUntil(utc(2026, 5, 1, 10, 1));
  t.deepEqual(g.sink.runs().sort(), ["a:1:0", "b:1:0"]);
});

test("expiry sets enable to 0, persists it, and survives a reboot; startTime delays the first fire", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 9, 0) });
  f.add(task("short", { mode: "cron", cron: "0 0 * * * ?" }, { startTime: utc(2026, 5, 1, 11, 30), endTime: utc(2026, 5, 1, 14, 30) }));
  f.runUntil(utc(2026, 5, 1, 16, 0));
  t.deepEqual(f.fireTimes(), ["2026-05-01T12:00:00Z", "2026-05-01T13:00:00Z", "2026-05-01T14:00:00Z"]);
  t.is(JSON.parse(f.repository.get("short")!).enable, 0);
  t.is(f.counters.value("schedule_tasks_expired"), 1);
  const rebooted = f.reboot();
  rebooted.runUntil(utc(2026, 5, 1, 20, 0));
  t.deepEqual(rebooted.fireTimes(), []);
  t.is(rebooted.scheduler.table.count, 1);
});

test("once: runs one time, then enable is 0 in the store and after a reboot", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 9, 0) });
  f.add(task("one", { mode: "simple", time: "18:00:00", period: "once" }));
  f.runUntil(utc(2026, 5, 3, 12, 0));
  t.deepEqual(f.fireTimes(), ["2026-05-01T10:00:00Z"]);
  t.is(JSON.parse(f.repository.get("one")!).enable, 0);
  const rebooted = f.reboot();
  rebooted.runUntil(utc(2026, 5, 5, 12, 0));
  t.deepEqual(rebooted.fireTimes(), []);
});

test("week and month periods: weekday 1 = Monday ... 7 = Sunday, monthday lists", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 6, 1, 0, 0) }); // Monday 1 June 2026
  f.add(task("weekend", { mode: "simple", time: "08:00:00", period: "week", weekday: [6, 7] }));
  f.add(task("monthly", { mode: "simple", time: "09:00:00", period: "month", monthday: [1, 15, 31] }));
  f.runUntil(utc(2026, 7, 2, 0, 0));
  t.deepEqual(
    f.actions.calls.map((c, i) => `${f.sink.runs()[i].split(":")[0]} ${iso(c.wall)}`),
    [
      "monthly 2026-06-01T01:00:00Z",
      "weekend 2026-06-06T00:00:00Z",
      "weekend 2026-06-07T00:00:00Z",
      "weekend 2026-06-13T00:00:00Z",
      "weekend 2026-06-14T00:00:00Z",
      "monthly 2026-06-15T01:00:00Z",
      "weekend 2026-06-20T00:00:00Z",
      "weekend 2026-06-21T00:00:00Z",
      "weekend 2026-06-27T00:00:00Z",
      "weekend 2026-06-28T00:00:00Z",
      "monthly 2026-07-01T01:00:00Z", // no 31 June
    ],
  );
});

test("sunrise with an offset fires at the computed instant", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 6, 20, 12, 0) });
  f.add(task("dawn", { mode: "simple", time: "sunrise+00:30", period: "day" }));
  f.runUntil(utc(2026, 6, 22, 12, 0));
  const expected = [21, 22].map((d) => iso(sunEventUtc(SUNRISE, daysFromCivil(2026, 6, d), 31.23, 121.47) + 1800));
  t.deepEqual(f.fireTimes(), expected);
});

test("trigger: fires on the rising edge only, missing data never triggers, the day filter applies", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 6, 1, 0, 0) }); // Monday
  f.add(
    task("volts", {
      mode: "trigger",
      period: "week",
      weekday: [1, 2, 3, 4, 5],
      trigger: { or: [{ and: [{ addr: "1_1", op: "GT", prop: "Ua", value: 250 }, { groupid: 1, op: "EX", prop: "P" }] }, { addr: "1_1", op: "LT", prop: "Ua", value: 180 }] },
    }),
  );
  f.run(5000);
  t.is(f.actions.calls.length, 0); // Ua absent: LT 180 is false, not true
  f.properties.set("addr", "1_1", "Ua", 255);
  f.run(3000);
  t.is(f.actions.calls.length, 0); // P absent
  f.properties.set("groupid", "1", "P", 10);
  f.run(3000);
  t.is(f.actions.calls.length, 1);
  f.run(10_000);
  t.is(f.actions.calls.length, 1); // still true: no new edge
  f.properties.set("addr", "1_1", "Ua", 230);
  f.run(2000);
  f.properties.set("addr", "1_1", "Ua", 170);
  f.run(2000);
  t.is(f.actions.calls.length, 2);
  // Saturday: the edge is not in the filter, and the condition true since then does not fire on Monday either.
  f.properties.set("addr", "1_1", "Ua", 230);
  f.runUntil(utc(2026, 6, 5, 16, 30)); // Saturday 00:30 local
  f.properties.set("addr", "1_1", "Ua", 170);
  f.runUntil(utc(2026, 6, 8, 1, 0));
  t.is(f.actions.calls.length, 2);
});

test("actions run in order; a failure stops the run and is reported; a hung action times out", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 9, 59, 50), actionTimeoutMs: 5000 });
  const three = [
    { method: "operate", payload: { method: "FORCESWITCH", ForceSwitch: 0, groupid: "3_1" } },
    { method: "operate_raw", payload: { addr: "1_1", functionid: "Switch", value: 1 } },
    { method: "transport", payload: { data: "0103" } },
  ];
  f.add(task("ok", { mode: "simple", time: "18:00:00", period: "day" }, { actions: three }));
  f.add(task("bad", { mode: "simple", time: "18:01:00", period: "day" }, { actions: three }));
  f.add(task("hang", { mode: "simple", time: "18:02:00", period: "day" }, { actions: three }));
  f.actions.script = [null, "async", null, null, "1001", "hang"];
  f.runUntil(utc(2026, 5, 1, 10, 0, 2));
  t.deepEqual(f.actions.calls.map((c) => c.method), ["operate", "operate_raw"]); // waiting on the async one
  f.actions.release(null);
  f.runUntil(utc(2026, 5, 1, 10, 2, 2));
  t.deepEqual(f.actions.calls.map((c) => c.method), ["operate", "operate_raw", "transport", "operate", "operate_raw", "operate"]);
  t.deepEqual(f.sink.runs(), ["ok:1:0", "bad:0:1001"]);
  f.runUntil(utc(2026, 5, 1, 10, 2, 10));
  t.deepEqual(f.sink.runs(), ["ok:1:0", "bad:0:1001", "hang:0:5016"]);
  t.is(f.counters.value("schedule_action_timeouts"), 1);
  const event = f.sink.messages[0];
  t.is(event.method, "event");
  t.is(event.sn, "GW-0001");
  t.is(event.payload.events[0].code, "schedule");
  t.deepEqual((event.payload.events[0].payload.task as { actions: unknown }).actions, three);
});

test("run reports wait while the outbox is offline and go out in order when it is back", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 9, 0), pendingEvents: 3 });
  f.add(task("hourly", { mode: "cron", cron: "0 0 * * * ?" }));
  f.sink.online = false;
  f.runUntil(utc(2026, 5, 1, 14, 0, 1)); // five runs, room for three reports
  t.is(f.actions.calls.length, 5);
  t.is(f.sink.messages.length, 0);
  t.is(f.counters.value("schedule_events_dropped"), 2);
  f.sink.online = true;
  f.run(2000);
  t.deepEqual(f.sink.messages.map((m) => m.timestamp), [utc(2026, 5, 1, 12), utc(2026, 5, 1, 13), utc(2026, 5, 1, 14)]);
  const ids = f.sink.messages.map((m) => m.msgid);
  t.true(ids[0] < ids[1] && ids[1] < ids[2]);
});
