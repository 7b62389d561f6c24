/**
 * The product end to end on the host: `npm start` (the whole firmware on the simulated site, its embedded broker),
 * a platform client creating the example strategy over MQTT, and the site then kept from exporting.
 */
import test from "ava";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { makeCertificate } from "../helpers/certificate";

const PREFIX = "v1/wudun/pk-demo/GW-0001/";

test("npm start: a strategy created over MQTT is acknowledged after commit, reported, and keeps the site from exporting", async (t) => {
  // 400 simulated seconds at 20x: the site's load drops from 90 to 20 kW at 240 s with 70 kW of PV.
  const child = spawn(process.execPath, ["--import=tsx", "scripts/start.ts", "--duration", "400", "--speed", "20", "--quiet", "--seed", "5"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  const brokerUrl = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /embedded MQTT broker \(aedes\) at (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once("exit", () => reject(new Error(`start exited early:\n${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));

  const client = await mqtt.connectAsync(brokerUrl, { clientId: "platform-e2e", protocolVersion: 4 });
  const received: { topic: string; payload: Record<string, unknown> }[] = [];
  client.on("message", (topic, payload) => received.push({ topic, payload: JSON.parse(payload.toString()) }));
  await client.subscribeAsync(`${PREFIX}#`, { qos: 1 });
  // Wait for the device's first list report (it is online and subscribed), then create.
  for (let i = 0; i < 100 && !received.some((m) => m.topic.endsWith("streaming_overdemand/list/post")); i++) await new Promise((r) => setTimeout(r, 100));
  await client.publishAsync(`${PREFIX}streaming_overdemand/create/command`, readFileSync("docs/examples/spec-000/create.json"), { qos: 1 });

  const code = await exited;
  await client.endAsync();
  t.is(code, 0, output);
  const result = received.find((m) => m.topic.endsWith("streaming_overdemand/create/result"));
  t.truthy(result, `no create result among ${received.map((m) => m.topic).join(", ")}`);
  t.is(result!.payload.code, 200, String(result!.payload.msg));
  t.is(result!.payload.reply, "5b0c6a4e-2f7e-4c55-9d67-0d8a4c1f0001");
  t.deepEqual(result!.payload.data, { id: 1 });
  const lists = received.filter((m) => m.topic.endsWith("streaming_overdemand/list/post"));
  t.is((lists[lists.length - 1].payload.data as unknown[]).length, 1, "the report after the change lists the new strategy");

  const reports = received.filter((m) => m.topic.endsWith("report/post"));
  t.true(reports.length >= 2, `periodic status reports: ${reports.length}`);
  const lastReport = reports[reports.length - 1].payload as { status: { ticks: number }; control: { groups: unknown[] } };
  t.true(lastReport.status.ticks > 0);
  t.is(lastReport.control.groups.length, 1, "the report shows the control group of the new strategy");

  const final = JSON.parse(output.trim().split("\n").pop()!);
  t.is(final.site.strategies, 1);
  t.true(final.site.essW < 0, `the battery absorbs the PV surplus (essW ${final.site.essW})`);
  t.true(final.site.gridW > 0, `the site imports at the end (gridW ${final.site.gridW})`);
  // The strategy arrives while the site exports 10 kW: taking over (configure, first reads, PCS lag: ~0.7 s) plus
  // the 70 kW load drop at 240 s (the scenario tests bound the drop alone at 2 control periods).
  t.true(final.site.exportSecondsUnderStrategy <= 2, `export while the strategy was in force: ${final.site.exportSecondsUnderStrategy} s`);
  t.is(final.counters.store_commits >= 1, true);
});

test("npm start --broker mqtts://... --ca PEM: the platform link runs over TLS with the broker's certificate checked", async (t) => {
  const { key, cert } = makeCertificate();
  const dir = mkdtempSync(join(tmpdir(), "gw-start-tls-"));
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, cert);
  const broker = await Aedes.createBroker();
  const server = createTlsServer({ key, cert }, broker.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import=tsx", "scripts/start.ts", "--broker", `mqtts://127.0.0.1:${port}`, "--ca", caFile, "--duration", "3"], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.once("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}:\n${text}`))));
    });
    t.regex(output, /I mqtt: online/);
    t.notRegex(output, /certificate/i);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});
