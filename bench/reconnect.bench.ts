/**
 * Reconnects after broker outages (issue 14): 1,000 simulated outages, each a different gateway (its own random
 * seed, so its own jitter), lasting 5 s to 10 min (log-uniform). The broker crashes (every link reset) and refuses
 * connections for the outage, then accepts again; the figure is the time from the broker's return to the session
 * being connected (CONNACK received, subscriptions sent). Simulated time on the real MqttSession and the simulated
 * network (1 ms latency), so the figures are deterministic; on a device add the TCP + TLS handshake (about 1-3 s on
 * an ESP32). A second run shows the policy for refused credentials: CONNECT attempts per hour.
 */
import { makeFixture } from "../test/mqtt/helpers/session-fixture";
import { SessionState } from "../src/mqtt/session";
import { SeededRandom } from "../hal/sim/random";

const OUTAGES = 1000;
const MIN_OUTAGE_MS = 5_000;
const MAX_OUTAGE_MS = 600_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Time from the broker's return to connected, ms, for one gateway (seed) and one outage. */
function outage(seed: number, outageMs: number): number {
  const f = makeFixture({}, seed);
  f.session.start();
  f.sim.loop.runFor(2_000 + (seed % 997) * 17);
  if (f.session.state !== SessionState.Connected) throw new Error(`seed ${seed}: not connected before the outage`);
  f.sim.network.refuseConnections = true;
  f.broker.crash();
  f.sim.loop.runFor(outageMs);
  f.sim.network.refuseConnections = false;
  const back = f.sim.loop.monotonicMs();
  for (let waited = 0; waited < 600_000; waited += 50) {
    if (f.session.state === SessionState.Connected) return f.sim.loop.monotonicMs() - back;
    f.sim.loop.runFor(50);
  }
  throw new Error(`seed ${seed}: not back within 10 min of the broker's return`);
}

/** CONNECT attempts in one simulated hour against a broker that refuses the credentials (CONNACK 5). */
function refusedAttemptsPerHour(seed: number): number {
  const f = makeFixture({}, seed);
  f.broker.connackCode = 5;
  f.session.start();
  f.sim.loop.runFor(3_600_000);
  return f.broker.connects.length;
}

export default async function (): Promise<Record<string, number>> {
  const random = new SeededRandom(2026);
  const afterReturn: number[] = [];
  for (let i = 0; i < OUTAGES; i++) {
    const unit = random.nextFloat();
    const outageMs = Math.round(MIN_OUTAGE_MS * Math.pow(MAX_OUTAGE_MS / MIN_OUTAGE_MS, unit));
    afterReturn.push(outage(i + 1, outageMs));
  }
  afterReturn.sort((a, b) => a - b);
  const histogram = [0, 0, 0, 0, 0, 0, 0, 0];
  for (const ms of afterReturn) histogram[Math.min(7, Math.floor(ms / 2000))]++;
  console.log(`reconnect after the broker returns, ${OUTAGES} outages of 5 s..10 min (s: count):`);
  for (let b = 0; b < 8; b++) console.log(`  ${b === 7 ? "14+  " : `${2 * b}-${2 * b + 2}`.padEnd(5)} ${"#".repeat(Math.round(histogram[b] / 10))} ${histogram[b]}`);
  const refused = [1, 2, 3].map(refusedAttemptsPerHour);
  return {
    reconnect_after_return_p50_ms: percentile(afterReturn, 50),
    reconnect_after_return_p95_ms: percentile(afterReturn, 95),
    reconnect_after_return_p99_ms: percentile(afterReturn, 99),
    reconnect_after_return_max_ms: afterReturn[afterReturn.length - 1],
    reconnect_refused_credentials_connects_per_hour: Math.max(...refused),
  };
}
