/** The OTA slot writers' new calls (resume, read, retryPendingImage) on the simulated and the Node HAL. */
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeOtaSlots } from "../../hal/node/ota";
import { PowerCut } from "../../hal/sim/flash";
import { SimOtaSlots } from "../../hal/sim/ota";

const image = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 13 + 5) & 0xff);

test("sim: resume after a reboot keeps the first bytes, re-erases from the sector at the offset, reads back", (t) => {
  const slots = new SimOtaSlots({ slotBytes: 16_384, tearMode: "mixed" });
  slots.begin(image.length);
  slots.write(image, 0, 6000);
  slots.flash.cutAfter(1);
  t.throws(() => slots.write(image, 6000, 3000), { instanceOf: PowerCut });
  slots.flash.powerOn();
  slots.reboot();
  t.is(slots.running, 0);
  t.throws(() => slots.write(image, 0, 1), { message: "OTA write without begin" });
  t.throws(() => slots.resume(image.length + 1, 4096), { message: /no unfinished 10001-byte image/ });
  slots.resume(image.length, 4096);
  const back = new Uint8Array(4096);
  slots.read(0, back, 0, 4096);
  t.deepEqual(back, image.subarray(0, 4096));
  slots.write(image, 4096, image.length - 4096);
  slots.complete();
  t.deepEqual(slots.slotContent(1), image, "whatever the cut tore past the offset was rewritten");
  t.throws(() => slots.read(9000, back, 0, 2000), { message: /outside the 10000-byte image/ });
});

test("sim: the bootloader's rules: pending verify, one retry per retryPendingImage, abort and rollback", (t) => {
  const slots = new SimOtaSlots({ slotBytes: 16_384 });
  slots.installFactory(image.subarray(0, 100));
  slots.begin(image.length);
  slots.write(image, 0, image.length);
  slots.complete();
  slots.reboot();
  t.is(slots.running, 1);
  t.true(slots.runningImagePendingVerify());
  slots.retryPendingImage();
  t.true(slots.runningImagePendingVerify(), "still unconfirmed after asking for a retry");
  slots.reboot();
  t.is(slots.running, 1, "the retry gave it one more boot");
  slots.reboot();
  t.is(slots.running, 0, "no retry: the bootloader went back");
  t.deepEqual(slots.states, ["valid", "aborted"]);

  slots.begin(image.length);
  slots.write(image, 0, image.length);
  slots.complete();
  slots.reboot();
  slots.markRunningValid();
  slots.reboot();
  t.is(slots.running, 1, "a confirmed image stays");
  slots.rollback();
  t.deepEqual(slots.restartRequests, ["ota rollback"]);
  slots.reboot();
  t.is(slots.running, 0, "rolled back to the factory image");
  t.deepEqual(slots.states, ["valid", "aborted"]);
  t.throws(() => new SimOtaSlots().rollback(), { message: /no valid image in the other slot/ });
});

test("node: an image interrupted by a restart is resumed from its file and read back; retry gives one more boot", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "ota-slots-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = new NodeOtaSlots({ dir, slotBytes: 16_384 });
  first.begin(image.length);
  first.write(image, 0, 5000);
  t.is(first.state.states[1], "writing");

  const second = new NodeOtaSlots({ dir, slotBytes: 16_384 });
  t.throws(() => second.resume(image.length - 1, 4096), { message: /no unfinished 9999-byte image/ });
  second.resume(image.length, 4096);
  const back = new Uint8Array(4096);
  second.read(0, back, 0, 4096);
  t.deepEqual(back, image.subarray(0, 4096));
  second.write(image, 4096, image.length - 4096);
  second.complete();

  const third = new NodeOtaSlots({ dir, slotBytes: 16_384 });
  t.is(third.state.running, 1);
  t.true(third.runningImagePendingVerify());
  t.deepEqual(third.slotContent(1), image);
  third.retryPendingImage();
  t.true(third.runningImagePendingVerify());
  const fourth = new NodeOtaSlots({ dir, slotBytes: 16_384 });
  t.is(fourth.state.running, 1, "retried: booted again, still pending");
  t.true(fourth.runningImagePendingVerify());
  const fifth = new NodeOtaSlots({ dir, slotBytes: 16_384 });
  t.is(fifth.state.running, 0, "not retried: back to the previous image");

  fifth.begin(image.length);
  fifth.write(image, 0, 100);
  fifth.cancel();
  t.throws(() => fifth.resume(image.length, 0), { message: /no unfinished/ });
});
