import test from "ava";
import { startRangeServer, type RangeServer } from "../http/range-server";
import { command, Device, makeImage, makeSigner, sha256Hex, signImage, type Signer } from "./harness";

const signer = makeSigner();
const factory = makeImage("1.0.0", 150_000, 1);
const next = makeImage("1.1.0", 200_000, 2);

async function setup(t: { teardown(fn: () => unknown): void }, options: { ota?: Record<string, unknown>; signer?: Signer } = {}): Promise<{ server: RangeServer; device: Device }> {
  const server = await startRangeServer();
  server.files.set("/fw/1.1.0.bin", { body: next });
  const device = new Device({ factory, signer: options.signer ?? signer, ota: options.ota });
  t.teardown(async () => {
    device.close();
    await server.close();
  });
  return { server, device };
}

function upgrade(server: RangeServer, image = next, extra: Record<string, unknown> = {}, path = "/fw/1.1.0.bin"): Record<string, unknown> {
  return {
    version: "1.1.0",
    url: `${server.base}${path}`,
    size: image.length,
    sha256: sha256Hex(image),
    signature: signImage(image, signer),
    ...extra,
  };
}

test("a clean update: accepted after the signature check, ranged download, staged, restart, health check, success reported", async (t) => {
  const { server, device } = await setup(t);
  const disposition = device.send(command(upgrade(server), "mid-clean"), 77);
  t.is(disposition, 2, "held (Pending) while the signature is checked");
  t.deepEqual(device.uplink.acks, []);
  await device.run(() => device.restarts.length > 0);
  t.deepEqual(device.uplink.acks, [77], "acknowledged once the record was saved");
  const accepted = device.results[0];
  t.like(accepted, { reply: "mid-clean", trace_id: "trace-mid-clean", code: 200, msg: "", type: "ota_upgrade", device_uid: "GW-OTA-1" });
  t.deepEqual(accepted.data, { status: "accepted", version: "1.1.0", size: next.length });
  t.true(server.requests.length >= next.length / 16_384, `${server.requests.length} requests`);
  t.true(server.requests.every((r, i) => i === 0 || /^bytes=\d+-\d+$/.test(r.range)));
  t.is(server.requests[0].range, "bytes=0-16383");
  t.deepEqual(Array.from(device.slots.slotContent(1, next.length)), Array.from(next), "the slot holds the image");
  t.is(device.slots.states[1], "new");
  t.deepEqual(device.restarts, ["ota: install 1.1.0"]);
  const statuses = device.progress.map((p) => (p.data as { status: string }).status);
  t.is(statuses[0], "downloading");
  t.is(statuses[statuses.length - 1], "staged");
  t.true(device.progress.length < 20, `progress is rate-bounded (${device.progress.length} posts)`);
  t.truthy(device.record);
  t.is(device.record?.phase, "staged");

  device.reboot();
  t.is(device.runningVersion, "1.1.0");
  t.true(device.slots.runningImagePendingVerify());
  const versionPost = device.uplink.messages.filter((m) => m.kind === "version").pop()!;
  t.like(versionPost.body.data, { version: "1.1.0", pending_verify: true, state: "health_check" });
  await device.run(() => device.manager.status().phase === "idle");
  t.is(device.slots.markedValid, 1);
  t.false(device.slots.runningImagePendingVerify());
  const final = device.results[device.results.length - 1];
  t.like(final, { reply: "mid-clean", trace_id: "trace-mid-clean", code: 200, msg: "" });
  t.deepEqual(final.data, { status: "success", version: "1.1.0", from_version: "1.0.0", running_version: "1.1.0" });
  t.is(device.record, null, "idle: nothing left in the store");
  t.is(device.counters.value("ota_successes"), 1);
});

test("the download machinery exists only while an image is downloaded (idle gateways carry none of it)", async (t) => {
  const { server, device } = await setup(t);
  const internals = (): Record<string, unknown> => device.manager as unknown as Record<string, unknown>;
  t.is(device.manager.downloader, null, "idle after boot: no HTTP client, parser, buffers or hash");
  t.is(device.manager.http, null);
  t.is(internals().verifier, null, "no P-256 verifier state");
  device.send(command(upgrade(server), "mid-lazy"));
  t.not(internals().verifier, null, "the verifier exists while the signature is checked");
  t.is(device.manager.downloader, null);
  await device.run(() => device.manager.downloader !== null);
  t.is(internals().verifier, null, "and is gone once it is checked");
  t.not(device.manager.http, null);
  // A reboot mid-download: the stored job resumes at boot, so the machinery is made there.
  device.reboot();
  t.is(device.manager.status().phase, "downloading");
  t.not(device.manager.downloader, null, "made at boot for the download to resume");
  await device.run(() => device.restarts.length > 0);
  t.is(device.manager.status().phase, "staged");
  t.is(device.manager.downloader, null, "released once the image is downloaded");
  t.is(device.manager.http, null);
  t.is(device.manager.downloadStats!.bytesReceived, next.length, "the last download's figures stay");

  // A failed download releases it too.
  const failing = await setup(t);
  failing.server.files.set("/fw/1.1.0.bin", { body: next.subarray(0, 1000) });
  failing.device.send(command(upgrade(failing.server), "mid-short"));
  await failing.device.run(() => failing.device.results.length >= 2);
  t.is(failing.device.results[1].code, 500);
  t.is(failing.device.manager.downloader, null, "released when the update failed");
});

test("a hash mismatch: slot cancelled, failure reported, running image untouched, no restart", async (t) => {
  const { server, device } = await setup(t);
  const other = makeImage("1.1.0", next.length, 99);
  // Signed and announced for `other`, but the server has `next`: the bytes do not match the signed digest.
  const data = { ...upgrade(server), sha256: sha256Hex(other), signature: signImage(other, signer) };
  const runningBefore = device.slots.slotContent(0, factory.length);
  device.send(command(data, "mid-hash"));
  await device.run(() => device.results.length >= 2);
  t.is(device.results[0].code, 200);
  const failure = device.results[1];
  t.like(failure, { reply: "mid-hash", code: 500 });
  t.regex(failure.msg as string, new RegExp(`^sha256: the downloaded image hashes to ${sha256Hex(next)}, the command said ${sha256Hex(other)}$`));
  t.like(failure.data, { status: "failed", version: "1.1.0", running_version: "1.0.0" });
  t.is(device.slots.states[1], "empty", "slot cancelled");
  t.true(device.slots.slotContent(1, 4096).every((b) => b === 0xff), "its first sector erased");
  t.is(device.slots.bootSlot, 0);
  t.deepEqual(device.slots.slotContent(0, factory.length), runningBefore);
  t.deepEqual(device.restarts, []);
  t.is(device.record, null);
  t.is(device.manager.status().phase, "idle");
  t.is(device.counters.value("ota_failures"), 1);
});

test("a bad signature: refused with 400 before anything is downloaded or written", async (t) => {
  const { server, device } = await setup(t);
  const stranger = makeSigner();
  const flashOperations = device.slots.flash.operations;
  device.send(command({ ...upgrade(server), signature: signImage(next, stranger) }, "mid-sig"), 5);
  await device.run(() => device.results.length > 0);
  t.like(device.results[0], { reply: "mid-sig", code: 400, msg: "data.signature: does not verify against the gateway's OTA public key" });
  t.deepEqual(device.uplink.acks, [5]);
  t.is(server.requests.length, 0, "nothing downloaded");
  t.is(device.slots.states[1], "empty");
  t.is(device.slots.flash.operations, flashOperations, "no flash write");
  t.is(device.record, null);
  t.is(device.manager.status().phase, "idle");

  // A signature that is not even a signature is a 400 at once, naming the field.
  t.is(device.send(command({ ...upgrade(server), signature: "bm90IGEgc2lnbmF0dXJl" })), 1);
  t.regex(device.results[1].msg as string, /^data\.signature: is neither 64 raw bytes/);
});

test("a truncated download is resumed with Range from where it stopped, and the update completes", async (t) => {
  const { server, device } = await setup(t);
  server.files.set("/fw/1.1.0.bin", { body: next, dropAfterBytes: 5_000, dropTimes: 3 });
  device.send(command(upgrade(server), "mid-trunc"));
  await device.run(() => device.restarts.length > 0);
  // Three drops; a loaded test machine may add a timeout, so at least three.
  t.true(device.manager.downloadStats!.retries >= 3);
  t.is(device.manager.downloadStats!.bytesReceived, next.length, "no byte fetched twice");
  device.reboot();
  await device.run(() => device.manager.status().phase === "idle");
  const ranges = server.requests.map((r) => r.range);
  t.is(ranges[0], "bytes=0-16383");
  const resumes = ["bytes=5000-21383", "bytes=10000-26383", "bytes=15000-31383"].map((range) => ranges.indexOf(range));
  t.true(resumes[0] > 0 && resumes[1] > resumes[0] && resumes[2] > resumes[1], `ranges asked: ${ranges.slice(0, 6).join(", ")}`);
  t.like(device.results[device.results.length - 1].data, { status: "success", running_version: "1.1.0" });
  t.regex(device.logLines.join("\n"), /download at 5000\/200000: truncated body/);
});

test("a repeated command for the version already running is answered without downloading; a repeat mid-download is not restarted", async (t) => {
  const { server, device } = await setup(t);
  t.is(device.send(command({ ...upgrade(server), version: "1.0.0" }, "mid-same")), 0);
  t.like(device.results[0], { reply: "mid-same", code: 200, msg: "", data: { status: "up_to_date", version: "1.0.0" } });
  t.is(server.requests.length, 0);

  server.files.set("/fw/1.1.0.bin", { body: next, silent: true });
  device.send(command(upgrade(server), "mid-first"));
  await device.run(() => device.manager.status().phase === "downloading" && server.requests.length > 0);
  t.is(device.send(command(upgrade(server), "mid-again")), 0);
  t.like(device.results[device.results.length - 1], { reply: "mid-again", code: 200, data: { status: "in_progress", state: "downloading", version: "1.1.0" } });
  const busy = { ...upgrade(server, makeImage("1.2.0", 1000, 3)), version: "1.2.0" };
  t.is(device.send(command(busy, "mid-busy")), 1);
  t.like(device.results[device.results.length - 1], { reply: "mid-busy", code: 409, msg: "ota: busy with version 1.1.0 (downloading)" });
  t.is(server.requests.length, 1, "the download was not restarted");
});

test("a downgrade is refused unless allowed; bad fields are refused naming them", async (t) => {
  const { server, device } = await setup(t);
  const old = makeImage("0.9.0", 50_000, 4);
  const data = { ...upgrade(server, old), version: "0.9.0" };
  t.is(device.send(command(data, "mid-down")), 1);
  t.like(device.results[0], { reply: "mid-down", code: 400, msg: "data.version: 0.9.0 is older than the running 1.0.0 (set allow_downgrade to install it)" });
  t.is(device.send(command({ ...data, allow_downgrade: true }, "mid-down-ok")), 2, "allowed: the signature check starts");

  const fresh = new Device({ factory, signer });
  t.teardown(() => fresh.close());
  const cases: [Record<string, unknown>, string][] = [
    [{ ...upgrade(server), version: "1.1" + ".0.0.0" }, "data.version: must be 1 to 4 numbers separated by dots (like 1.4.2), got \"1.1.0.0.0\""],
    [{ ...upgrade(server), url: "ftp://x/y" }, "data.url: must start with http:// or https://, got \"ftp://x/y\""],
    [{ ...upgrade(server), size: 10_000_000 }, "data.size: must be between 1 and 262144 (the OTA slot), got 10000000"],
    [{ ...upgrade(server), sha256: "abc" }, "data.sha256: must be 64 hex digits, got \"abc\""],
    [{ ...upgrade(server), allow_downgrade: "yes" }, "data.allow_downgrade: must be a boolean, got \"yes\""],
    [{ ...upgrade(server), signature: undefined }, "data.signature: required"],
  ];
  for (const [body, msg] of cases) {
    t.is(fresh.send(command(body)), 1, msg);
    t.is(fresh.results[fresh.results.length - 1].msg, msg);
  }
  t.is(fresh.send(JSON.stringify({ mid: "m", type: "ota_upgrade", device_uid: "other", timestamp: 1, data: {} })), 1);
  t.is(fresh.results[fresh.results.length - 1].msg, 'device_uid: this device is "GW-OTA-1", got "other"');
});

test("OTA without a public key refuses every command", async (t) => {
  const server = await startRangeServer();
  t.teardown(() => server.close());
  const device = new Device({ factory, signer, ota: { publicKey: "" } });
  t.teardown(() => device.close());
  t.is(device.send(command(upgrade(server))), 1);
  t.is(device.results[0].msg, "ota: updates are disabled on this gateway (no ota.publicKey in its configuration)");
});
