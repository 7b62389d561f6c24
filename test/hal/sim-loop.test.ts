import test from "ava";
import { SimLoop } from "../../hal/sim/loop";

test("timers fire in deadline order, ties in arming order, and time jumps instantly", (t) => {
  const loop = new SimLoop();
  const fired: string[] = [];
  const a = loop.createTimer(() => fired.push(`a@${loop.monotonicMs()}`));
  const b = loop.createTimer(() => fired.push(`b@${loop.monotonicMs()}`));
  const c = loop.createTimer(() => fired.push(`c@${loop.monotonicMs()}`));
  b.start(100);
  a.start(50);
  c.start(100);
  loop.runFor(1000);
  t.deepEqual(fired, ["a@50", "b@100", "c@100"]);
  t.is(loop.monotonicMs(), 1000);
});

test("periodic timers repeat until stopped; re-arming replaces the previous arm", (t) => {
  const loop = new SimLoop();
  let count = 0;
  const timer = loop.createTimer(() => {
    count++;
    if (count === 5) timer.stop();
  });
  timer.start(10, 10);
  loop.runFor(1000);
  t.is(count, 5);
  t.false(timer.active);
  let hits = 0;
  const once = loop.createTimer(() => hits++);
  once.start(100);
  once.start(300);
  loop.runFor(200);
  t.is(hits, 0, "the first arm was replaced");
  loop.runFor(200);
  t.is(hits, 1);
});

test("a timer armed from inside a callback for 'now' fires in the same run", (t) => {
  const loop = new SimLoop();
  const order: number[] = [];
  const second = loop.createTimer(() => order.push(2));
  const first = loop.createTimer(() => {
    order.push(1);
    second.start(0);
  });
  first.start(5);
  loop.runUntil(5);
  t.deepEqual(order, [1, 2]);
});

test("the timer queue is bounded: arming past capacity throws instead of growing", (t) => {
  const loop = new SimLoop({ capacity: 3 });
  for (let i = 0; i < 3; i++) loop.createTimer(() => {}).start(10);
  t.throws(() => loop.createTimer(() => {}).start(10), { message: /more than 3 armed timers/ });
});

test("wall clock can jump and be unsynced without moving monotonic time", (t) => {
  const loop = new SimLoop({ wallStartMs: 1_000_000, wallSynced: false });
  t.false(loop.wallSynced());
  loop.runFor(500);
  t.is(loop.wallMs(), 1_000_500);
  loop.setWall(5_000_000);
  t.true(loop.wallSynced());
  t.is(loop.monotonicMs(), 500);
  loop.runFor(100);
  t.is(loop.wallMs(), 5_000_100);
});

test("a random heap workload keeps deadline order (heap invariant)", (t) => {
  const loop = new SimLoop({ capacity: 64 });
  let lastFire = -1;
  let violations = 0;
  let fires = 0;
  const timers = Array.from({ length: 64 }, (_, i) =>
    loop.createTimer(() => {
      if (loop.monotonicMs() < lastFire) violations++;
      lastFire = loop.monotonicMs();
      fires++;
      if (i % 3 === 0) timers[(i * 7) % 64].stop();
      if (i % 5 === 0) timers[(i * 11) % 64].start(1 + ((i * 13) % 50));
    }),
  );
  timers.forEach((timer, i) => timer.start((i * 37) % 100, i % 4 === 0 ? 17 : 0));
  loop.runFor(2000);
  t.is(violations, 0);
  t.true(fires > 64);
});
