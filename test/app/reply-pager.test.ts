/** The pager alone, on a fake session: parts wait for an empty outbox; bounds counted. */
import test from "ava";
import { ReplyPager } from "../../src/app/reply-pager";
import { Counters } from "../../src/core/counters";
import type { ReplyPages } from "../../src/core/reply-pages";
import { PublishResult } from "../../src/mqtt/session";

class FakeSession {
  queuedUplinks = 0;
  refuse = false;
  readonly sent: [number, string][] = [];
  publishText(route: number, payload: string): PublishResult {
    if (this.refuse) return PublishResult.Busy;
    this.sent.push([route, payload]);
    this.queuedUplinks++;
    return PublishResult.Queued;
  }
}

/** Parts "<tag>1".."<tag>n"; counts how many were built. */
function pages(tag: string, parts: number): ReplyPages & { built: number } {
  let next = 1;
  return {
    parts,
    built: 0,
    next() {
      if (next > parts) return null;
      this.built++;
      return `${tag}${next++}`;
    },
  };
}

function rig(capacity = 2) {
  const session = new FakeSession();
  const counters = new Counters();
  const logs: string[] = [];
  const pager = new ReplyPager(session, 1, counters, { write: (_l, _s, m) => logs.push(m) }, capacity);
  const ack = () => {
    session.queuedUplinks = 0;
    pager.tick();
  };
  return { session, counters, pager, ack, logs };
}

test("the first part goes at once, each further part only when the outbox is empty, built only then", (t) => {
  const { session, counters, pager, ack } = rig();
  const p = pages("a", 3);
  const first = p.next() as string;
  t.is(pager.send(7, first, p), PublishResult.Queued);
  t.deepEqual(session.sent, [[7, "a1"]]);
  pager.tick();
  t.is(session.sent.length, 1, "not while part 1 is unacknowledged");
  t.is(p.built, 1, "part 2 not built yet");
  ack();
  t.deepEqual(session.sent.map(([, x]) => x), ["a1", "a2"]);
  ack();
  t.deepEqual(session.sent.map(([, x]) => x), ["a1", "a2", "a3"]);
  t.is(pager.waiting, 0);
  t.is(counters.value("reply_parts_sent"), 3);
  t.is(counters.value("replies_in_parts"), 1);
  ack();
  t.is(session.sent.length, 3);
});

test("a one-message reply is just published; more waiting replies than the capacity abandon the oldest, counted", (t) => {
  const { session, counters, pager, ack, logs } = rig(2);
  pager.send(1, "single", null);
  t.is(pager.waiting, 0);
  for (const tag of ["a", "b", "c"]) {
    const p = pages(tag, 3);
    pager.send(1, p.next() as string, p);
  }
  t.is(pager.waiting, 2);
  t.is(counters.value("reply_parts_dropped"), 2, "a2 and a3 abandoned");
  t.regex(logs.join("\n"), /2 parts of a reply abandoned/);
  for (let i = 0; i < 6; i++) ack();
  t.deepEqual(session.sent.map(([, x]) => x), ["single", "a1", "b1", "c1", "b2", "b3", "c2", "c3"]);
});

test("a part the session refuses is counted as dropped", (t) => {
  const { session, counters, pager, ack } = rig();
  const p = pages("a", 2);
  pager.send(1, p.next() as string, p);
  session.refuse = true;
  ack();
  t.is(counters.value("reply_parts_dropped"), 1);
  t.is(pager.waiting, 0);
});

test("sendLater builds and queues every part, the first too, only when the outbox is empty", (t) => {
  const { session, counters, pager, ack } = rig();
  const result = pages("r", 1);
  pager.send(3, result.next() as string, null);
  const later = pages("l", 2);
  pager.sendLater(9, later);
  t.is(later.built, 0, "nothing built while the command's result is unacknowledged");
  pager.tick();
  t.is(later.built, 0);
  ack();
  t.deepEqual(session.sent, [[3, "r1"], [9, "l1"]]);
  ack();
  t.deepEqual(session.sent.map(([, x]) => x), ["r1", "l1", "l2"]);
  t.is(pager.waiting, 0);
  t.is(counters.value("reply_parts_sent"), 2);
});

test("a later report on the same route that has not started is replaced by the newer one, and counted", (t) => {
  const { session, counters, pager, ack } = rig(4);
  pager.send(3, "r1", null);
  const stale = pages("old", 1);
  const fresh = pages("new", 1);
  pager.sendLater(9, stale);
  pager.sendLater(9, fresh);
  t.is(pager.waiting, 1);
  ack();
  t.deepEqual(session.sent.map(([, x]) => x), ["r1", "new1"]);
  t.is(stale.built, 0);
  t.is(counters.value("reports_superseded"), 1);
  t.is(counters.value("reply_parts_dropped"), 0);
});
