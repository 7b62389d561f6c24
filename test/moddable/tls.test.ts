/**
 * TLS to the platform as the SDK's TLS (JavaScript, in the XS heaps) does it, in the simulator: a mosquitto with a
 * certificate chain from a private CA (openssl), the CA built into the app as a resource and named by `tlsTrust`.
 * The app connects over TLS within the board's 512-slot stack; against a broker whose certificate another CA
 * issued, every handshake fails as a failed link (reported, retried with backoff) and the app keeps running.
 *
 * Needs the Moddable SDK (MODDABLE), Xvfb, mosquitto and openssl; a visible skip otherwise.
 */
import test from "ava";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manifestCreation, ROOT } from "../../scripts/moddable/build";
import { hasCommand } from "../../scripts/moddable/sdk";
import { buildForSimulator, freePort, Platform, runSimulator, simulatorUnavailable } from "../../scripts/moddable/sim-session";

const TITLE = "real SDK: the simulator connects over TLS with a private CA within the board's stack, and a wrong CA is a failed link, not a crash";
const unavailable = simulatorUnavailable() ?? (hasCommand("openssl") ? null : "openssl is not installed");

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

/** A CA and a localhost certificate it signed; the broker's certfile is the chain (the SDK checks the name only along a chain). */
function makeChain(dir: string, name: string): void {
  openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}-ca-key.pem`, "-out", `${name}-ca.pem`, "-days", "2", "-subj", `/CN=${name} CA`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign,cRLSign");
  openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", "/CN=localhost");
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=DNS:localhost\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n");
  openssl(dir, "x509", "-req", "-in", `${name}.csr`, "-CA", `${name}-ca.pem`, "-CAkey", `${name}-ca-key.pem`, "-CAcreateserial", "-out", `${name}-leaf.pem`, "-days", "2", "-extfile", "ext.cnf");
  execFileSync("sh", ["-c", `cat ${name}-leaf.pem ${name}-ca.pem > ${name}-chain.pem`], { cwd: dir });
  openssl(dir, "x509", "-in", `${name}-ca.pem`, "-outform", "der", "-out", `${name}-ca.der`);
  // mosquitto started as root drops to its own user: the key must be readable to it.
  chmodSync(join(dir, `${name}-key.pem`), 0o644);
}

async function mosquittoWithTls(dir: string, chain: string): Promise<{ plain: number; tls: number; child: ChildProcess }> {
  const plain = await freePort();
  const tls = await freePort();
  const conf = join(dir, `mosquitto-${chain}.conf`);
  writeFileSync(conf, `listener ${plain} 127.0.0.1\nallow_anonymous true\nlistener ${tls} 127.0.0.1\ncertfile ${join(dir, `${chain}-chain.pem`)}\nkeyfile ${join(dir, `${chain}-key.pem`)}\n`);
  const child = spawn("mosquitto", ["-c", conf], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 500));
  return { plain, tls, child };
}

if (unavailable !== null) {
  test.skip(`${TITLE} (skipped: ${unavailable})`, () => {});
} else {
  test.serial(TITLE, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "gw-moddable-tls-"));
    chmodSync(dir, 0o755);
    makeChain(dir, "platform");
    makeChain(dir, "other");
    const good = await mosquittoWithTls(dir, "platform");
    const bad = await mosquittoWithTls(dir, "other");
    const full = manifestCreation();
    // Heaps beyond the budget, to look at TLS alone (the budget is the simulator test's); the board's stack.
    const creation = { ...full, chunk: { ...full.chunk, initial: full.chunk.initial * 3 }, heap: { ...full.heap, initial: full.heap.initial * 3 } };
    const runs: { run: { stop(): Promise<unknown> } }[] = [];
    let platform: Platform | null = null;
    try {
      const build = (port: number, name: string) =>
        buildForSimulator({
          buildDir: join(ROOT, "build", "moddable", "test-tls"),
          stateDir: join(dir, `state-${name}`),
          brokerUrl: `mqtts://127.0.0.1:${port}`,
          creation,
          config: { tlsTrust: "platform-ca.der", mqtt: { serverName: "localhost" } },
          resources: [join(dir, "platform-ca")],
        });
      platform = await Platform.connect(`mqtt://127.0.0.1:${good.plain}`);
      const okRun = await runSimulator(build(good.tls, "good"));
      runs.push(okRun);
      const online = await platform.waitFor("status/post", 60000, (m) => /online/.test(m.text));
      t.truthy(online);
      await okRun.run.wait(3000);
      const okStatus = await okRun.run.stop();
      t.log(`TLS run: ${JSON.stringify(okStatus)}`);
      t.true(okRun.log.some((line) => /connected to 127\.0\.0\.1:\d+ \(TLS\)/.test(line)), okRun.log.join("\n"));
      t.false(okStatus.aborted);
      t.true(okStatus.stackSlots.peak <= full.stack, `stack peak ${okStatus.stackSlots.peak} of the board's ${full.stack} slots`);

      const badRun = await runSimulator(build(bad.tls, "bad"));
      runs.push(badRun);
      await badRun.run.wait(8000);
      const badStatus = await badRun.run.stop();
      t.false(badStatus.aborted, badRun.log.slice(-10).join("\n"));
      t.is(badStatus.exited, "signal SIGTERM", "still running when stopped");
      t.true(badRun.log.some((line) => /mqtt: tls with localhost:\d+: .*reconnecting/.test(line)), badRun.log.join("\n"));
      t.false(badRun.log.some((line) => /mqtt: online/.test(line)), "no link with a broker the trusted CA did not certify");
    } finally {
      for (const { run } of runs) await run.stop();
      await platform?.close();
      good.child.kill();
      bad.child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
