/**
 * The reconnect policy's promise (docs/mqtt.md "Reconnect"), on the real session in simulated time: after a broker
 * outage of any length from 5 s to 10 min, a gateway is connected again within 15 s of the broker's return at the
 * 95th percentile, and gateways do not come back in step. (bench/reconnect.bench.ts prints the distribution over
 * 1,000 outages.) Simulated time: deterministic, not a wall-clock assertion.
 */
import test from "ava";
import { SessionState } from "../../src/mqtt/session";
import { makeFixture } from "./helpers/session-fixture";

function backAfter(seed: number, outageMs: number): number {
  const f = makeFixture({}, seed);
  f.session.start();
  f.sim.loop.runFor(2_000);
  f.sim.network.refuseConnections = true;
  f.broker.crash();
  f.sim.loop.runFor(outageMs);
  f.sim.network.refuseConnections = false;
  const back = f.sim.loop.monotonicMs();
  while (f.session.state !== SessionState.Connected) {
    if (f.sim.loop.monotonicMs() - back > 120_000) return Infinity;
    f.sim.loop.runFor(50);
  }
  return f.sim.loop.monotonicMs() - back;
}

test("after outages of 5 s .. 10 min, p95 of the time to reconnect after the broker returns is under 15 s", (t) => {
  const outages = [5_000, 30_000, 120_000, 600_000];
  const times: number[] = [];
  for (let seed = 1; seed <= 60; seed++) times.push(backAfter(seed, outages[seed % outages.length]));
  times.sort((a, b) => a - b);
  const p95 = times[Math.ceil(0.95 * times.length) - 1];
  t.true(p95 <= 15_000, `p95 ${p95} ms`);
  t.true(times[times.length - 1] <= 12_000 + 1_000, `max ${times[times.length - 1]} ms: never more than the cap plus the handshake`);
  // Jitter: the gateways spread over several seconds rather than all at one instant.
  t.true(times[times.length - 1] - times[0] > 5_000, `spread ${times[0]}..${times[times.length - 1]} ms`);
});
