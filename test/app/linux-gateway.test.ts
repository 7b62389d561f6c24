/**
 * The Linux-gateway mode of `npm start` (issue 14): real sockets to any host (the OTA image comes from a real HTTP
 * server on this machine), OTA slots as files beside --flash. An OTA download killed mid-way (SIGKILL: a power cut)
 * resumes after a restart from its last checkpoint: the bytes downloaded again are at most one checkpoint interval.
 */
import test from "ava";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { startEmbeddedBroker } from "../../scripts/host/embedded-broker";
import { SeededRandom } from "../../hal/sim/random";
import { ServerSerial } from "modbus-serial";
import { commandPath, toolMissing } from "../helpers/tool-gate";
import { until } from "../mqtt/helpers/real-broker";

const PREFIX = "v1/wudun/pk-demo/GW-0001";
const SIZE = 640 * 1024;
const CHECKPOINT = 32 * 1024;

function image(): Uint8Array {
  const bytes = new Uint8Array(SIZE);
  new SeededRandom(11).fill(bytes, 0, SIZE);
  bytes.set(new TextEncoder().encode("FW 0.2.0\n"), 0);
  return bytes;
}

/** A ranged HTTP server that sends slowly (8 KiB every 40 ms), recording every byte range it served. */
async function slowServer(body: Uint8Array): Promise<{ server: Server; url: string; served: { start: number; bytes: number }[] }> {
  const served: { start: number; bytes: number }[] = [];
  const server = createServer((req, res) => {
    const range = /bytes=(\d+)-(\d+)?/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
    const record = { start, bytes: 0 };
    served.push(record);
    res.writeHead(range ? 206 : 200, { "Content-Length": end - start + 1, ...(range ? { "Content-Range": `bytes ${start}-${end}/${body.length}` } : {}) });
    let at = start;
    const pump = () => {
      if (at > end || res.destroyed) {
        res.end();
        return;
      }
      const n = Math.min(8192, end - at + 1);
      res.write(Buffer.from(body.subarray(at, at + n)), () => {
        record.bytes += n;
      });
      at += n;
      setTimeout(pump, 40);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fw.bin`, served };
}

function gateway(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import=tsx", "scripts/start.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}


test.serial("--linux-gateway: an OTA download from a real HTTP server killed mid-way resumes from its last checkpoint", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "linux-gw-"));
  const fw = image();
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = publicKey.export({ format: "der", type: "spki" });
  const config = join(dir, "config.json");
  writeFileSync(config, JSON.stringify({ ota: { publicKey: der.subarray(der.length - 65).toString("hex"), checkpointBytes: CHECKPOINT } }));
  const http = await slowServer(fw);
  const broker = await startEmbeddedBroker(0);
  const flash = join(dir, "flash.img");
  const args = ["--linux-gateway", "--flash", flash, "--config", config, "--broker", broker.url, "--quiet"];
  const platform = await mqtt.connectAsync(broker.url, { clientId: "platform" });
  t.teardown(async () => {
    platform.end(true);
    http.server.close();
    await broker.close();
  });

  const first = gateway(args);
  t.true(await until(() => /Linux-gateway mode/.test(first.output()), 20_000), first.output());
  await new Promise((r) => setTimeout(r, 3000)); // connected and subscribed
  const command = {
    mid: "c0ffee00-0000-4000-8000-00000000aa01",
    type: "ota_upgrade",
    device_uid: "GW-0001",
    timestamp: Date.now(),
    data: { version: "0.2.0", url: http.url, size: SIZE, sha256: createHash("sha256").update(fw).digest("hex"), signature: sign("sha256", fw, privateKey).toString("base64") },
  };
  await platform.publishAsync(`${PREFIX}/ota/upgrade/command`, JSON.stringify(command), { qos: 1 });
  // Kill it (a power cut) once several checkpoints are on flash, well before the end.
  t.true(await until(() => http.served.reduce((n, r) => n + r.bytes, 0) >= 5 * CHECKPOINT, 60_000), `download started: ${JSON.stringify(http.served)} ${first.output()}`);
  first.child.kill("SIGKILL");
  await new Promise((r) => first.child.once("exit", r));
  const before = http.served.reduce((n, r) => n + r.bytes, 0);
  t.true(before < SIZE, "killed mid-way");

  const second = gateway(args);
  t.teardown(() => {
    if (second.child.exitCode === null) second.child.kill("SIGKILL");
  });
  const restarted = await until(() => /restart requested/.test(second.output()), 90_000);
  t.true(restarted, `the image was completed, verified and staged after the restart: ${second.output().slice(-2000)}`);
  const resumedAt = http.served[http.served.length - 1].start;
  t.true(http.served.length >= 2, "a second ranged request");
  t.true(resumedAt > 0, `resumed at byte ${resumedAt}, not from 0`);
  t.true(before - resumedAt <= CHECKPOINT, `downloaded again: ${before - resumedAt} bytes (checkpoint interval ${CHECKPOINT})`);
  const state = JSON.parse(readFileSync(join(`${flash}.ota`, "ota-state.json"), "utf8")) as { states: string[]; sizes: number[] };
  t.true(state.states.includes("new"), `a staged image in the OTA slot files: ${JSON.stringify(state)}`);
  t.true(state.sizes.includes(SIZE));
});

if (commandPath("socat") === null) {
  toolMissing(test, "socat", "apt-get install -y socat", "--linux-gateway --serial: the grid meter is read over a real tty");
} else {
  test.serial("--linux-gateway --serial: the grid meter is read over a real tty (a modbus-serial slave on a socat pty)", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "linux-gw-serial-"));
    const slavePath = join(dir, "meter");
    const gatewayPath = join(dir, "gateway");
    const socat = spawn("socat", [`pty,raw,echo=0,link=${slavePath}`, `pty,raw,echo=0,link=${gatewayPath}`], { stdio: "ignore" });
    t.teardown(() => socat.kill());
    t.true(await until(() => existsSync(slavePath) && existsSync(gatewayPath), 5000), "socat made the pty pair");
    let reads = 0;
    // A grid meter that answers every register with 0 (no flow), unit 1, as the example strategy's meter is.
    const vector = {
      getHoldingRegister: () => {
        reads++;
        return 0;
      },
      getInputRegister: () => {
        reads++;
        return 0;
      },
      setRegister: () => null,
    };
    const server = await new Promise<{ close(cb: () => void): void }>((resolve, reject) => {
      const s = new ServerSerial(vector, { path: slavePath, baudRate: 9600, unitID: 1 } as never);
      s.on("initialized", () => resolve(s));
      s.on("error", reject);
    });
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const broker = await startEmbeddedBroker(0);
    t.teardown(() => broker.close());
    const run = gateway(["--linux-gateway", "--flash", join(dir, "flash.img"), "--serial", gatewayPath, "--broker", broker.url, "--quiet", "--duration", "25"]);
    const platform = await mqtt.connectAsync(broker.url, { clientId: "platform-serial" });
    t.teardown(() => platform.end(true));
    t.true(await until(() => /RS-485 on .*gateway \(real\)/.test(run.output()), 20_000), run.output());
    await new Promise((r) => setTimeout(r, 3000));
    await platform.publishAsync(`${PREFIX}/streaming_overdemand/create/command`, readFileSync("docs/examples/spec-000/create.json", "utf8"), { qos: 1 });
    await new Promise((r) => run.child.once("exit", r));
    const final = JSON.parse(run.output().trim().split("\n").pop() as string) as { counters: Record<string, number> };
    t.true(reads > 10, `${reads} registers served by the real slave`);
    t.true((final.counters.modbus_rtu1_ok ?? 0) > 10, `the gateway's RTU master got answers: ${JSON.stringify(final.counters)}`);
  });
}
