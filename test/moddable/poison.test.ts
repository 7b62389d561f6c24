/**
 * Poison messages against the product as Moddable builds it (issue 14): in the SDK's simulator, preloaded, with the
 * manifest's esp32 creation, a spec 000 create of 12 KB (over the 8 KiB receive buffer) and one whose JSON nests
 * 3,000 deep (XS's JSON.parse recurses on the native stack: unguarded, that aborts the engine) are each answered
 * 400 naming why, the link stays up, and the next create is answered 200. Needs the SDK (MODDABLE), Xvfb and
 * mosquitto; without them it is a visible skip (CI has no SDK).
 */
import test from "ava";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manifestCreation, ROOT } from "../../scripts/moddable/build";
import { buildForSimulator, DEVICE_PREFIX, Platform, runSimulator, simulatorUnavailable, startMosquitto } from "../../scripts/moddable/sim-session";

const TITLE = "real SDK: an oversized command and JSON nested 3,000 deep are answered 400 in the simulator; the link stays up";
const unavailable = simulatorUnavailable();

if (unavailable !== null) {
  test.skip(`${TITLE} (skipped: ${unavailable})`, () => {});
} else {
  test.serial(TITLE, async (t) => {
    const stateDir = mkdtempSync(join(tmpdir(), "gw-moddable-poison-"));
    const broker = await startMosquitto();
    let platform: Platform | null = null;
    let sim: Awaited<ReturnType<typeof runSimulator>> | null = null;
    try {
      const build = buildForSimulator({ buildDir: join(ROOT, "build", "moddable", "test-poison"), stateDir, brokerUrl: broker.url, creation: manifestCreation() });
      platform = await Platform.connect(broker.url);
      sim = await runSimulator(build);
      await platform.waitFor("streaming_overdemand/list/post", 30000);
      const example = JSON.parse(readFileSync(join(ROOT, "docs/examples/spec-000/create.json"), "utf8"));
      const send = async (payload: string, mid: string) => {
        const since = Date.now();
        await platform!.publish(`${DEVICE_PREFIX}streaming_overdemand/create/command`, payload);
        return (await platform!.waitFor("streaming_overdemand/create/result", 15000, (m) => (m.json as { reply?: string }).reply === mid, since)).json as { code: number; msg: string };
      };
      const big = await send(JSON.stringify({ ...example, mid: "big-1", data: { ...example.data, pad: "p".repeat(12_000) } }), "big-1");
      t.is(big.code, 400);
      t.regex(big.msg, /more than this gateway's 8192-byte limit/);
      const deep = await send(`{"mid":"deep-1","data":${"[".repeat(3000)}${"]".repeat(3000)}}`, "deep-1");
      t.is(deep.code, 400);
      t.regex(deep.msg, /nested deeper than 32 levels/);
      const good = await send(JSON.stringify(example), example.mid);
      t.is(good.code, 200, good.msg);
      const status = await sim.run.stop();
      t.false(status.aborted, sim.log.slice(-20).join("\n"));
      t.is(status.exited, "signal SIGTERM");
      t.false(sim.log.some((line) => /mqtt: offline/.test(line)), "no reconnect");
    } finally {
      await sim?.run.stop();
      await platform?.close();
      broker.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
}
