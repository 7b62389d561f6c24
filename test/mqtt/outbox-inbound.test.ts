import test from "ava";
import { PacketType } from "../../src/mqtt/constants";
import { Backoff } from "../../src/mqtt/backoff";
import { InboundTracker } from "../../src/mqtt/inbound";
import { Outbox } from "../../src/mqtt/outbox";
import { SeededRandom } from "../../hal/sim/random";

/** A stand-in QoS 1 PUBLISH of `size` bytes: its fixed header (the outbox reads entry lengths there), then filler. */
function put(outbox: Outbox, size: number, id: number, fill = id): number {
  const at = outbox.reserve(size);
  if (at >= 0) {
    outbox.bytes.fill(fill & 0xff, at, at + size);
    outbox.bytes[at] = 0x32;
    let header = 2;
    while (size - header >= 128 ** (header - 1)) header++;
    let remaining = size - header;
    for (let i = 1; i < header; i++, remaining = Math.floor(remaining / 128)) outbox.bytes[at + i] = (remaining % 128) | (i < header - 1 ? 128 : 0);
    outbox.commit(at, size, id);
  }
  return at;
}

test("outbox ring: wraps, reclaims from the head, frees out-of-order acks when the head reaches them", (t) => {
  const outbox = new Outbox(100, 8);
  t.is(put(outbox, 40, 1), 0);
  t.is(put(outbox, 40, 2), 40);
  t.is(outbox.nextToSend(), 0);
  outbox.markSent(0);
  outbox.markSent(outbox.nextToSend());
  t.is(outbox.inflight, 2);
  t.true(outbox.ack(2), "out of order");
  t.is(outbox.usedBytes, 80, "the gap is kept until the head is acked");
  t.true(outbox.ack(1));
  t.is(outbox.usedBytes, 0);
  t.false(outbox.ack(1), "a second PUBACK for the same id");
  // Wrap: 60 at 0, 30 at 60, free the first, 50 goes to 0 (wrapped).
  t.is(put(outbox, 60, 3), 0);
  t.is(put(outbox, 30, 4), 60);
  outbox.markSent(outbox.nextToSend());
  t.true(outbox.ack(3));
  t.is(put(outbox, 50, 5), 0);
  t.is(outbox.live, 2);
  // [50, 60) is too small for 20 bytes: the oldest (id 4 at 60) goes, and the new one follows id 5.
  t.is(put(outbox, 20, 6), 50);
  t.is(outbox.droppedOldest, 1);
  t.false(outbox.holds(4));
  t.true(outbox.holds(5));
});

test("outbox: drop-oldest when full, never the pinned entry; too large is refused; retransmissions get DUP", (t) => {
  const outbox = new Outbox(100, 4);
  for (let id = 1; id <= 4; id++) put(outbox, 20, id);
  t.is(put(outbox, 20, 5), 80, "entries full: the oldest (id 1) made room");
  t.is(outbox.droppedOldest, 1);
  t.false(outbox.holds(1));
  t.true(outbox.holds(5));
  const index = outbox.nextToSend();
  t.is(outbox.packetIdOf(index), 2);
  outbox.markSent(index);
  outbox.pinned = index;
  t.is(outbox.reserve(100), -1, "the head is being written: cannot drop it");
  t.is(outbox.reserve(101), -2);
  outbox.pinned = -1;
  outbox.requeueInflight();
  t.true(outbox.isRetransmission(outbox.nextToSend()));
  t.is(outbox.inflight, 0);
  t.is(put(outbox, 100, 9), 0, "everything else dropped for one big entry");
  t.is(outbox.live, 1);
  t.is(outbox.droppedInflight, 0);
});

test("outbox: random operations keep every invariant against a model", (t) => {
  const random = new SeededRandom(5);
  const outbox = new Outbox(1000, 16);
  const model: { id: number; size: number; sent: boolean }[] = [];
  let id = 0;
  for (let step = 0; step < 20_000; step++) {
    const op = random.nextInt(4);
    if (op < 2) {
      // An entry is a whole PUBLISH: at least its two-byte fixed header.
      const size = 2 + random.nextInt(200);
      id = (id % 65535) + 1;
      const at = put(outbox, size, id, id);
      t.true(at >= 0);
      // Model: drop from the front until both bounds hold.
      model.push({ id, size, sent: false });
      while (model.length > 16) model.shift();
      t.true(outbox.holds(id));
    } else if (op === 2) {
      const index = outbox.nextToSend();
      if (index >= 0) {
        const entry = model.find((m) => m.id === outbox.packetIdOf(index))!;
        t.false(entry.sent);
        entry.sent = true;
        outbox.markSent(index);
      }
    } else {
      const sent = model.filter((m) => outbox.holds(m.id) && m.sent);
      if (sent.length > 0) {
        const pick = sent[random.nextInt(Math.min(2, sent.length))];
        t.true(outbox.ack(pick.id));
        model.splice(model.indexOf(pick), 1);
      }
    }
    // Entries in the outbox are a suffix-preserving subset of the model, in order, with intact bytes.
    t.true(outbox.live <= 16 && outbox.usedBytes <= 1000);
    let inflight = 0;
    let heldFromHere = false;
    for (const m of model) {
      const held = outbox.holds(m.id);
      if (held && m.sent) inflight++;
      // Drop-oldest: what is held is always the newest run of what was not acknowledged.
      if (heldFromHere) t.true(held, `id ${m.id} dropped while an older one is kept`);
      heldFromHere ||= held;
    }
    t.is(outbox.inflight, inflight);
  }
});

test("inbound: acks leave in arrival order, a pending one holds back the rest; duplicates match id + content", (t) => {
  const inbound = new InboundTracker(4, 4);
  const a = inbound.begin(10, 111, 1);
  inbound.pushAck(PacketType.Puback, 10, a);
  const b = inbound.begin(11, 222, 1);
  inbound.finish(b);
  inbound.pushAck(PacketType.Puback, 11, b);
  t.is(inbound.readyAckType(), 0, "A is pending");
  t.is(inbound.findDuplicate(10, 111, 1, true), a);
  t.is(inbound.findDuplicate(10, 111, 1, false), -1, "no DUP flag: a new message");
  t.is(inbound.findDuplicate(10, 999, 1, true), -1, "other content: a new message");
  t.true(inbound.finishToken(inbound.tokenOf(a)));
  t.is(inbound.readyAckType(), PacketType.Puback);
  t.is(inbound.readyAckId(), 10);
  inbound.popAck();
  t.is(inbound.readyAckId(), 11);
  inbound.popAck();
  t.is(inbound.ackCount, 0);
  // All slots pending: no room.
  const inbound2 = new InboundTracker(2, 4);
  inbound2.begin(1, 1, 1);
  inbound2.begin(2, 2, 1);
  t.is(inbound2.begin(3, 3, 1), -1);
  t.is(inbound2.pendingCount(), 2);
  // QoS 2: open until PUBREL, matched by id alone.
  const q = inbound.begin(50, 5, 2);
  inbound.finish(q);
  t.is(inbound.findDuplicate(50, 6, 2, false), q);
  inbound.release(50);
  t.is(inbound.findDuplicate(50, 6, 2, false), -1);
});

test("backoff: uniform in [min, min(max, min*2^n)]; after refused credentials in [refusedMax/2, refusedMax]; resets", (t) => {
  const backoff = new Backoff(new SeededRandom(3), 1000, 12_000, 300_000);
  for (let n = 0; n < 12; n++) {
    const delay = backoff.next();
    t.true(delay >= 1000 && delay <= Math.min(12_000, 1000 * 2 ** n), `attempt ${n}: ${delay}`);
  }
  const capped = Array.from({ length: 400 }, () => backoff.next());
  t.true(Math.max(...capped) <= 12_000 && Math.max(...capped) > 11_000 && Math.min(...capped) < 2000, "full jitter over [1 s, 12 s]");
  backoff.reset();
  t.is(backoff.next(), 1000);
  backoff.refused();
  const samples = Array.from({ length: 200 }, () => backoff.next());
  t.true(Math.min(...samples) >= 150_000 && Math.max(...samples) <= 300_000 && Math.max(...samples) > 280_000);
  backoff.reset();
  t.false(backoff.credentialsRefused);
  t.is(backoff.next(), 1000);
});
