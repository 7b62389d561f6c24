import test from "ava";
import { startRangeServer, type RangeServer } from "../http/range-server";
import { command, Device, makeImage, makeSigner, sha256Hex, signImage } from "./harness";

const signer = makeSigner();
const factory = makeImage("1.0.0", 120_000, 1);
const next = makeImage("1.1.0", 180_000, 2);

async function setup(t: { teardown(fn: () => unknown): void }, ota: Record<string, unknown> = {}): Promise<{ server: RangeServer; device: Device; payload: string }> {
  const server = await startRangeServer();
  server.files.set("/fw.bin", { body: next });
  const device = new Device({ factory, signer, ota });
  t.teardown(async () => {
    device.close();
    await server.close();
  });
  const payload = command(
    { version: "1.1.0", url: `${server.base}/fw.bin`, size: next.length, sha256: sha256Hex(next), signature: signImage(next, signer) },
    "mid-fault",
  );
  return { server, device, payload };
}

function lastResult(device: Device): Record<string, unknown> {
  return device.results[device.results.length - 1];
}

for (const cutAt of [7, 23, 41]) {
  test(`a power cut mid-write (slot flash operation ${cutAt}): reboot, resume from the checkpoint, hash rebuilt, update completes`, async (t) => {
    const { server, device, payload } = await setup(t);
    device.send(payload);
    await device.run(() => device.manager.status().phase === "downloading");
    device.slots.flash.cutAfter(cutAt);
    await device.run(() => false);
    t.true(device.dead, "the power went");
    const checkpoint = device.record?.offset ?? -1;
    t.is(device.record?.phase, "downloading");
    t.is(checkpoint % 4096, 0, `checkpoint ${checkpoint} on a sector boundary`);
    const requestsBefore = server.requests.length;

    device.reboot();
    t.is(device.runningVersion, "1.0.0", "the running image never changed");
    await device.run(() => device.restarts.length > 0);
    const stats = device.manager.downloadStats!;
    t.is(stats.resumedFrom, checkpoint);
    t.is(stats.bytesRehashed, checkpoint, "the hash was rebuilt from the slot");
    if (checkpoint > 0) t.is(server.requests[requestsBefore].range, `bytes=${checkpoint}-${Math.min(checkpoint + 16_383, next.length - 1)}`);
    t.deepEqual(Array.from(device.slots.slotContent(1, next.length)), Array.from(next), "torn writes were rewritten");
    t.is(device.results.filter((r) => r.reply === "mid-fault").length, 1, "accepted once, not again after the reboot");

    device.reboot();
    await device.run(() => device.manager.status().phase === "idle");
    t.like(lastResult(device), { reply: "mid-fault", code: 200, data: { status: "success", running_version: "1.1.0" } });
  });
}

test("a power cut during a checkpoint save keeps the previous checkpoint; the resume starts there", async (t) => {
  const { device, payload } = await setup(t);
  device.send(payload);
  await device.run(() => (device.record?.offset ?? 0) >= 16_384);
  const before = device.record?.offset as number;
  device.memory!.cutAtSave = 1;
  await device.run(() => false);
  t.true(device.dead);
  t.is(device.record?.offset, before, "the torn save did not happen");
  device.reboot();
  await device.run(() => device.restarts.length > 0);
  t.is(device.manager.downloadStats!.resumedFrom, before);
  t.deepEqual(Array.from(device.slots.slotContent(1, next.length)), Array.from(next));
});

test("an image that never becomes healthy (MQTT never connects) is rolled back; the old image reports it", async (t) => {
  const { device, payload } = await setup(t, { healthTimeoutMs: 200 });
  device.send(payload);
  await device.run(() => device.restarts.length > 0);
  device.reboot({ mqttDown: true });
  t.is(device.runningVersion, "1.1.0");
  await device.run(() => device.slots.rollbacks > 0);
  t.is(device.record?.phase, "rolling_back");
  t.is(device.slots.markedValid, 0);
  t.deepEqual(device.slots.restartRequests, ["ota rollback"]);

  device.reboot();
  t.is(device.runningVersion, "1.0.0", "back on the previous image");
  t.is(device.slots.states[1], "aborted");
  await device.run(() => device.record === null);
  const outcome = lastResult(device);
  t.like(outcome, { reply: "mid-fault", code: 500, data: { status: "rolled_back", version: "1.1.0", from_version: "1.0.0", running_version: "1.0.0" } });
  t.is(outcome.msg, "health check not passed within 200 ms (MQTT not connected)");
});

test("an image whose control loop never runs is rolled back too, naming what was missing", async (t) => {
  const { device, payload } = await setup(t, { healthTimeoutMs: 150 });
  device.send(payload);
  await device.run(() => device.restarts.length > 0);
  device.reboot({ controlDead: true });
  await device.run(() => device.slots.rollbacks > 0);
  device.reboot();
  await device.run(() => device.record === null);
  t.is(lastResult(device).msg, "health check not passed within 150 ms (no control tick)");
});

test("N failed boots: the image gets maxBootAttempts boots, then the bootloader goes back and the outcome is reported", async (t) => {
  const { device, payload } = await setup(t, { maxBootAttempts: 3, healthMinUptimeMs: 10_000, healthTimeoutMs: 20_000 });
  device.send(payload);
  await device.run(() => device.restarts.length > 0);
  for (let boot = 1; boot <= 3; boot++) {
    device.reboot();
    t.is(device.runningVersion, "1.1.0", `boot ${boot} runs the new image`);
    t.true(device.slots.runningImagePendingVerify());
    t.is(device.record?.bootAttempts, boot);
    // It crashes before its health check passes (the minimum uptime is never reached).
    await device.run(() => true);
  }
  t.is(device.slots.retries, 2, "boots 1 and 2 asked for one more trial; boot 3 did not");
  device.reboot();
  t.is(device.runningVersion, "1.0.0", "the bootloader went back after the third failed boot");
  await device.run(() => device.record === null);
  t.like(lastResult(device), { reply: "mid-fault", code: 500, data: { status: "rolled_back", running_version: "1.0.0" } });
  t.is(lastResult(device).msg, "the new image 1.1.0 reset before passing its health check (3 boots); the bootloader went back to 1.0.0");
});

test("N failed boots counted by the firmware: a trial past maxBootAttempts is rolled back at boot", async (t) => {
  const { device, payload } = await setup(t, { maxBootAttempts: 2, healthMinUptimeMs: 10_000, healthTimeoutMs: 20_000 });
  device.send(payload);
  await device.run(() => device.restarts.length > 0);
  device.reboot();
  device.reboot();
  t.is(device.record?.bootAttempts, 2);
  // A bootloader that kept the image anyway (rollback not enforced by it): the firmware's own count decides.
  device.slots.retryPendingImage();
  device.reboot();
  t.is(device.slots.rollbacks, 1);
  t.is(device.record?.phase, "rolling_back");
  t.is(device.record?.outcome?.msg, "the new image did not pass its health check in 2 boots");
  device.reboot();
  await device.run(() => device.record === null);
  t.like(lastResult(device), { code: 500, msg: "the new image did not pass its health check in 2 boots", data: { status: "rolled_back" } });
});

test("the outcome waits for the link: kept in the store while offline, retried while the publish is refused", async (t) => {
  const { device, payload } = await setup(t, { healthTimeoutMs: 150 });
  device.send(payload);
  await device.run(() => device.restarts.length > 0);
  device.reboot({ mqttDown: true });
  await device.run(() => device.slots.rollbacks > 0);
  device.reboot({ mqttDown: true });
  await device.run(() => true);
  t.is(device.record?.phase, "report", "kept until it can be sent");
  const resultsBefore = device.results.length;
  device.uplink.refuse = true;
  device.manager.connected();
  await device.run(() => device.counters.value("ota_result_retries") > 1);
  t.is(device.record?.phase, "report");
  device.uplink.refuse = false;
  await device.run(() => device.record === null);
  t.is(device.results.length, resultsBefore + 1, "reported exactly once");
  t.like(lastResult(device), { code: 500, data: { status: "rolled_back" } });
});

for (const cut of [1, 2, 4]) {
  test(`on the real flash store: a power cut at store operation ${cut} of a checkpoint leaves the old or the new checkpoint, and the update completes`, async (t) => {
    const server = await startRangeServer();
    server.files.set("/fw.bin", { body: next });
    const device = new Device({ factory, signer, realStore: true });
    t.teardown(async () => {
      device.close();
      await server.close();
    });
    device.send(command({ version: "1.1.0", url: `${server.base}/fw.bin`, size: next.length, sha256: sha256Hex(next), signature: signImage(next, signer) }, "mid-store"));
    await device.run(() => (device.record?.offset ?? 0) >= 8192);
    const before = device.record?.offset as number;
    (device.storeFlash as NonNullable<typeof device.storeFlash>).cutAfter(cut);
    await device.run(() => false);
    t.true(device.dead);
    device.reboot();
    const after = device.record;
    t.is(after?.phase, "downloading");
    t.true((after?.offset as number) >= before, `checkpoint ${after?.offset} (was ${before})`);
    await device.run(() => device.restarts.length > 0);
    t.is(device.manager.downloadStats!.resumedFrom, after?.offset as number);
    t.deepEqual(Array.from(device.slots.slotContent(1, next.length)), Array.from(next));
    device.reboot();
    await device.run(() => device.record === null);
    t.like(lastResult(device), { reply: "mid-store", code: 200, data: { status: "success" } });
  });
}
