/** The scheduler's commands over the real flash store (src/store on the simulated NOR chip), across reboots and cuts. */
import test from "ava";
import { PowerCut, SimNorFlash } from "../../hal/sim/flash";
import { ScheduleCommandHandler } from "../../src/schedule/commands";
import { StoreTaskRepository } from "../../src/schedule/store-adapter";
import { GatewayStore } from "../../src/store/gateway-store";
import { makeFixture, task, utc, type Fixture } from "./fixture";

const open = (chip: SimNorFlash): GatewayStore => GatewayStore.open(chip, { maxStrategies: 8, maxTasks: 32, maxTxBytes: 16384 });

function boot(chip: SimNorFlash, wallStart: number, loop?: Fixture["loop"]): { f: Fixture; handler: ScheduleCommandHandler; repository: StoreTaskRepository } {
  const repository = new StoreTaskRepository(open(chip));
  const f = makeFixture({ wallStart, loop, repository: repository as never });
  const handler = new ScheduleCommandHandler({ scheduler: f.scheduler, repository, properties: f.properties, clock: f.loop, sn: "1234567890123" });
  return { f, handler, repository };
}

test("tasks set by command survive a reboot; an expiry written by the scheduler too", (t) => {
  const chip = new SimNorFlash({ sectorCount: 16 });
  const { f, handler } = boot(chip, utc(2026, 5, 1, 9, 0));
  const reply = handler.handle({
    msgid: 1,
    "payload ": {
      cmd: "SET",
      tasks: [
        task("daily", { mode: "simple", time: "18:00:00", period: "day" }),
        task("short", { mode: "cron", cron: "0 0 * * * ?" }, { endTime: utc(2026, 5, 1, 11, 30) }),
      ],
    },
  });
  t.like(reply, { res: 1, errcode: "0" });
  f.runUntil(utc(2026, 5, 1, 12, 0));
  t.deepEqual(f.sink.runs().sort(), ["daily:1:0", "short:1:0", "short:1:0"]);
  // Reboot: the store is reopened from the chip; the scheduler loads from it.
  const again = boot(chip, 0, f.loop);
  t.deepEqual(again.repository.list().sort(), ["daily", "short"]);
  t.is(JSON.parse(again.repository.get("short")!).enable, 0);
  again.f.runUntil(utc(2026, 5, 2, 12, 0));
  t.deepEqual(again.f.sink.runs(), ["daily:1:0"]);
});

test("a redelivered command gets the same reply and is not applied twice; a 64-bit msgid survives", (t) => {
  const chip = new SimNorFlash({ sectorCount: 16 });
  const { handler, repository } = boot(chip, utc(2026, 5, 1, 9, 0));
  const text = `{"msgid": 628131887239491584, "method": "schedule", "sn": "1234567890123", "timestamp": 1638869990, "payload ": {"cmd": "ADD", "tasks": [${JSON.stringify(task("124", { mode: "cron", cron: "0 0/15 * * * ?" }))}]}}`;
  const first = handler.handleText(text);
  t.regex(first, /^\{"msgid":628131887239491584,"method":"schedule","sn":"1234567890123","res":1,"errcode":"0","timestamp":\d+\}$/);
  const second = handler.handleText(text);
  t.is(second, first); // not 5011 "already exists"
  // ...also after a reboot (the reply is in flash with the change).
  const again = boot(chip, utc(2026, 5, 1, 9, 5));
  t.is(again.handler.handleText(text), first);
  t.deepEqual(repository.list(), ["124"]);
  // A refused command is not remembered: fixed and resent under the same msgid, it is applied.
  const bad = handler.handleText(`{"msgid": 77, "payload": {"cmd": "ADD", "tasks": [${JSON.stringify(task("9", { mode: "cron", cron: "0 0 0 30 2 ?" }))}]}}`);
  t.regex(bad, /"res":0,"errcode":"5009"/);
  const good = handler.handleText(`{"msgid": 77, "payload": {"cmd": "ADD", "tasks": [${JSON.stringify(task("9", { mode: "cron", cron: "0 0 0 28 2 ?" }))}]}}`);
  t.regex(good, /"res":1/);
  t.like(JSON.parse(handler.handleText("{not json")), { res: 0, errcode: "5014" });
});

test("a power cut during SET leaves the old set or the new one, never a mix; a full store answers 5013", (t) => {
  const initial = [task("a", { mode: "cron", cron: "0 0 1 * * ?" }), task("b", { mode: "cron", cron: "0 0 2 * * ?" })];
  const replacement = ["c", "d", "e", "f"].map((id) => task(id, { mode: "cron", cron: "0 0 3 * * ?" }));
  let cuts = 0;
  let sawOld = 0;
  let sawNew = 0;
  for (let cutAt = 1; cutAt <= 40; cutAt++) {
    const chip = new SimNorFlash({ sectorCount: 16 });
    const { handler } = boot(chip, utc(2026, 5, 1, 9, 0));
    t.like(handler.handle({ msgid: 1, payload: { cmd: "SET", tasks: initial } }), { res: 1 });
    chip.cutAfter(cutAt);
    let reply;
    try {
      reply = handler.handle({ msgid: 2, payload: { cmd: "SET", tasks: replacement } });
    } catch (error) {
      t.true(error instanceof PowerCut);
    }
    if (reply) t.true(reply.res === 1 || reply.errcode === "5013");
    chip.powerOn();
    const ids = boot(chip, utc(2026, 5, 1, 9, 0)).repository.list().sort().join(",");
    if (ids === "a,b") sawOld++;
    else if (ids === "c,d,e,f") sawNew++;
    else t.fail(`cut at ${cutAt}: stored ${ids}`);
    cuts++;
  }
  t.true(sawOld > 0 && sawNew > 0, `old ${sawOld}, new ${sawNew} of ${cuts}`);
  // A store too small for the set: 5013 and nothing changed.
  const small = new SimNorFlash({ sectorCount: 3, sectorSize: 4096 });
  const { handler, repository, f } = boot(small, utc(2026, 5, 1, 9, 0));
  const many = Array.from({ length: 30 }, (_, i) => task(`n${i}`, { mode: "cron", cron: "0 0 3 * * ?" }, { note: "x".repeat(400) }));
  const reply = handler.handle({ msgid: 3, payload: { cmd: "SET", tasks: many } });
  t.like(reply, { res: 0, errcode: "5013" });
  t.deepEqual(repository.list(), []);
  t.is(f.scheduler.table.count, 0);
});
