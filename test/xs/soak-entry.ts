/**
 * The soak (sim/soak.ts) in the real XS engine: the same `SoakRun` as in Node, driven from the host
 * (sim/soak-xs.ts) through `globalThis.soak`, one step per evaluation so the host can collect and read the heap
 * between steps. The platform's ledger (what was sent, every reply) is kept by the host: each entry goes out with
 * issueCommand as it happens, so the heap figure holds the firmware and its simulated world, not the harness's
 * record of a week of commands.
 */
import mqttPacket from "mqtt-packet";
import { SoakRun, type CommandKind, type SoakLedger, type SoakRunOptions } from "../../sim/soak";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

function send(value: unknown): void {
  issueCommand(new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer);
}

/** Host messages: ["sent", id, kind], ["reply", id, text], ["counts", SoakCounts]. */
const ledger: SoakLedger = {
  sent: (id: string, kind: CommandKind) => send(["sent", id, kind]),
  reply: (id: string, text: string) => send(["reply", id, text]),
};

// The broker's codec caches 65,536 two-byte buffers on its first packet: 24 s and ~440,000 slots in XS, which
// would bury the firmware's figure. Numbers written as they come instead.
mqttPacket.writeToStream.cacheNumbers = false;

let run: SoakRun | null = null;

function need(): SoakRun {
  if (!run) throw new Error("soak: start first");
  return run;
}

const soak = {
  start(optionsJson: string): void {
    run = new SoakRun(JSON.parse(optionsJson) as SoakRunOptions, ledger);
  },
  runUntil(ms: number): void {
    const r = need();
    r.runUntil(ms);
    send(["counts", r.progress]);
  },
  /** Test only (sim/soak-xs.ts `leakingService`): a firmware service that keeps an object per tick, a leak. */
  addLeakingService(): void {
    const kept: { nowMs: number }[] = [];
    // Reachable from the global object, so the collector cannot free what it keeps.
    (soak as unknown as { kept: unknown }).kept = kept;
    need().firmware.gateway.addService({
      name: "leaking",
      tick(nowMs: number) {
        kept.push({ nowMs });
      },
    });
  },
  finish(): void {
    send(["counts", need().finish()]);
  },
};

(globalThis as unknown as { soak: typeof soak }).soak = soak;
