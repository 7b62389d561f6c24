/**
 * The tasks of a command text are parsed one element at a time (src/schedule/task-batch.ts): the same commands must
 * give the same replies and leave the same tasks as when the text is parsed whole.
 */
import test from "ava";
import { ScheduleCommandHandler } from "../../src/schedule/commands";
import { splitTaskCommand } from "../../src/schedule/task-batch";
import { makeFixture, task, utc } from "./fixture";

const SN = "1234567890123";

function gateway() {
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 9, 0), capacity: 64, triggerWords: 64, sn: SN });
  const handler = new ScheduleCommandHandler({ scheduler: f.scheduler, repository: f.repository, properties: f.properties, clock: f.loop, sn: SN, maxReplyBytes: 8192, counters: f.counters });
  f.run(1000);
  return { f, handler };
}

const cron = (i: number) => task(`t${i}`, { mode: "cron", dstEnable: 1, cron: `0 ${i % 60} * * * ?` });
let msgid = 628131887239491584n;
/** A command text as the platform writes it: the 64-bit msgid bare, "payload " with its space. */
function command(cmd: string, tasks: unknown[], key = "payload "): string {
  msgid += 1n;
  return `{"msgid":${msgid},"method":"schedule","sn":"${SN}","timestamp":1772409630,"${key}":${JSON.stringify({ cmd, tasks })}}`;
}

const SEQUENCE: string[] = [
  command("SET", Array.from({ length: 30 }, (_, i) => cron(i))),
  command("ADD", [cron(40), cron(41)], "payload"),
  command("ADD", [cron(42), cron(42)]), // the same id twice
  command("ADD", [cron(43), { ...cron(44), cycle: { mode: "cron", dstEnable: 1, cron: "not a cron" } }]),
  command("UPDATE", [{ ...cron(3), priority: 7 }, cron(99)]), // t99 does not exist
  command("UPDATE", [{ ...cron(3), priority: 7 }]),
  command("ENABLE", [{ taskId: "t4", enable: 0 }]),
  command("DELETE", [{ taskId: "t5" }, { taskId: "nope" }]),
  command("READ", [{ taskId: "t3" }]),
  command("SET", []),
  command("ADD", []),
  command("ADD", [cron(1), 5]),
];

test("a command's tasks parsed one at a time give the replies and the tasks of the whole-text parse", (t) => {
  const split = gateway();
  const whole = gateway();
  const counts: number[] = [];
  for (const text of SEQUENCE) {
    t.not(splitTaskCommand(text, 64), null, `the scanner takes ${text.slice(0, 60)}`);
    const a = split.handler.handleCommand(text);
    // The reference: the same handler code on the command parsed whole (handle() takes a parsed message).
    const b = whole.handler.handle(JSON.parse(text.replace(/"msgid":(\d+)/, '"msgid":"$1"')));
    const replyA = JSON.parse((a.next() as string).replace(/"msgid":(\d+)/, '"msgid":"$1"'));
    t.is(replyA.res, b.res, text.slice(0, 80));
    t.is(replyA.errcode, b.errcode, text.slice(0, 80));
    t.is(replyA.msg, b.msg, text.slice(0, 80));
    t.deepEqual(split.f.repository.list(), whole.f.repository.list());
    for (const id of whole.f.repository.list()) t.is(split.f.repository.get(id), whole.f.repository.get(id));
    t.is(split.f.scheduler.table.count, whole.f.scheduler.table.count);
    counts.push(split.f.scheduler.table.count);
  }
  // SET 30, ADD 2, refused, refused, refused, UPDATE, ENABLE, DELETE one, READ, SET [] clears, refused, refused.
  t.deepEqual(counts, [30, 32, 32, 32, 32, 32, 32, 31, 31, 0, 0, 0]);
});

test("an element that is not JSON is refused as malformed, with the command's msgid, and changes nothing", (t) => {
  const { f, handler } = gateway();
  handler.handleCommand(command("SET", [cron(1), cron(2)]));
  const text = command("ADD", [cron(3)]).replace(/\]\}\}$/, ',tru]}}');
  const reply = JSON.parse((handler.handleCommand(text).next() as string).replace(/"msgid":(\d+)/, '"msgid":"$1"'));
  t.is(reply.res, 0);
  t.is(reply.msgid, msgid.toString(), "the envelope was read: the platform can match the refusal");
  t.regex(reply.msg, /payload\.tasks: not JSON/);
  t.deepEqual(f.repository.list(), ["t1", "t2"]);
});

test("texts the scanner declines are parsed whole, as before", (t) => {
  t.is(splitTaskCommand(`{"payload":{"tasks":[1]},"payload ":{"tasks":[2]}}`, 64), null);
  t.is(splitTaskCommand(`{"payload ":{"tasks":[1],"tasks":[2]}}`, 64), null);
  t.is(splitTaskCommand(`{"payload ":{"cmd":"SET"}}`, 64), null);
  t.is(splitTaskCommand(`not json`, 64), null);
  t.is(splitTaskCommand(command("SET", Array.from({ length: 65 }, (_, i) => cron(i))), 64), null, "more tasks than the table holds");
  const { f, handler } = gateway();
  const reply = JSON.parse(handler.handleCommand(`{"msgid":"7","method":"schedule","sn":"${SN}","payload ":{"cmd":"ADD","tasks":[${JSON.stringify(cron(1))}],"tasks":[${JSON.stringify(cron(2))}]}}`).next() as string);
  t.is(reply.res, 1);
  t.deepEqual(f.repository.list(), ["t2"], "JSON.parse's rule: the last member wins");
});
