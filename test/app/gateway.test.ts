import test from "ava";
import { createSimHal } from "../../hal/sim/index";
import type { Clock } from "../../hal/types";
import { Gateway, bootGateway } from "../../src/app/gateway";
import { formatStatusLine } from "../../src/app/status";
import { resolveConfig } from "../../src/config/gateway-config";

test("boots, opens the store area and ticks at the configured period for 60 simulated seconds", (t) => {
  const sim = createSimHal({ seed: 1 });
  const gateway = bootGateway(sim, resolveConfig({ control: { periodMs: 200 } }));
  sim.loop.runFor(60_000);
  const status = gateway.status();
  t.is(status.ticks, 300);
  t.is(status.uptimeMs, 60_000);
  t.is(status.overruns, 0);
  t.is(status.storeSectors, 16);
  t.is(sim.simWatchdog.feeds, 300, "every tick feeds the watchdog");
  t.false(sim.simWatchdog.expired());
  t.regex(sim.simLog.lines[0], /boot: board host/);
  t.regex(formatStatusLine(status), /up 60s ticks 300 overruns 0/);
});

test("a missing store partition stops the boot with the partition named", (t) => {
  const sim = createSimHal({ partitions: { other: { sectorCount: 4 } } });
  t.throws(() => bootGateway(sim, resolveConfig()), { message: /partition "store" not found/ });
});

test("services run every tick; a throwing service is counted and does not stop the others", (t) => {
  const sim = createSimHal();
  const gateway = bootGateway(sim, resolveConfig());
  let good = 0;
  gateway.addService({ name: "bad", tick: () => { throw new Error("boom"); } });
  gateway.addService({ name: "good", tick: () => { good++; } });
  sim.loop.runFor(1000);
  t.is(good, 4);
  t.is(gateway.status().counters.service_errors, 4);
  t.true(sim.simLog.lines.some((line) => line.includes("bad: tick failed: Error: boom")));
});

test("a tick over budget and a tick that starts late both count as overruns", (t) => {
  const sim = createSimHal();
  // A clock whose time moves 30 ms while a slow service runs (over the 20 ms budget).
  let extra = 0;
  const clock: Clock = {
    monotonicMs: () => sim.loop.monotonicMs() + extra,
    wallMs: () => sim.loop.wallMs(),
    wallSynced: () => true,
    createTimer: (callback) => sim.loop.createTimer(callback),
  };
  const gateway = new Gateway({ ...sim, clock }, resolveConfig());
  let slow = false;
  gateway.addService({ name: "slow", tick: () => { if (slow) extra += 30; } });
  gateway.tick();
  t.is(gateway.status().overruns, 0);
  slow = true;
  gateway.tick();
  t.is(gateway.status().overruns, 1);
  t.is(gateway.status().maxTickMs, 30);
  slow = false;
  sim.loop.runFor(10_000); // no tick timer started: the next manual tick is 10 s late
  gateway.tick();
  t.is(gateway.status().overruns, 2);
  t.is(gateway.status().counters.tick_overruns, 2);
});

test("the service table is bounded", (t) => {
  const sim = createSimHal();
  const gateway = bootGateway(sim, resolveConfig());
  for (let i = 0; i < 16; i++) gateway.addService({ name: `s${i}`, tick: () => {} });
  t.throws(() => gateway.addService({ name: "one too many", tick: () => {} }), { message: /more than 16 services/ });
});
