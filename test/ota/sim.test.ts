import test from "ava";
import { otaSimScenario } from "./sim-scenario";
import { scenarioInput } from "./sim-input";

test("simulated HAL: a broken connection, a power cut mid-write, resume, restart, health check, success", (t) => {
  const summary = otaSimScenario(scenarioInput(25)) as {
    events: string[];
    requests: string[];
    running: string;
    boots: number;
    powerCuts: number;
    simulatedMs: number;
  };
  t.is(summary.running, "1.1.0");
  t.is(summary.powerCuts, 1);
  t.is(summary.boots, 3, "first boot, after the power cut, after the restart");
  const results = summary.events.filter((e) => e.startsWith("result ")).map((e) => JSON.parse(e.slice(7)));
  t.deepEqual(
    results.map((r) => [r.code, r.data?.status]),
    [
      [200, "accepted"],
      [200, "success"],
    ],
  );
  t.true(summary.requests.includes("/fw/1.1.0.bin bytes=20000-52767"), "resumed after the broken connection");
  t.true(summary.events.some((e) => e.includes("power cut")));
  t.log(`simulated ${summary.simulatedMs} ms, ${summary.requests.length} requests`);
});
