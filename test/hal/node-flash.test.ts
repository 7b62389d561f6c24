import test from "ava";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileFlashProvider, FileNorFlash } from "../../hal/node/file-flash";

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "hal-flash-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a missing image file is created 0xFF-filled at the partition size", (t) => {
  const file = join(tempDir(t), "store.flash");
  const flash = new FileNorFlash({ sectorCount: 4, sectorSize: 4096, file });
  t.true(existsSync(file));
  t.is(statSync(file).size, 4 * 4096);
  t.true(readFileSync(file).every((b) => b === 0xff));
  const into = new Uint8Array(8);
  flash.read(100, into, 0, 8);
  t.deepEqual(Array.from(into), [255, 255, 255, 255, 255, 255, 255, 255]);
  flash.close();
});

test("program only clears bits (AND), erase sets the whole sector to 0xFF", (t) => {
  const flash = new FileNorFlash({ sectorCount: 2, sectorSize: 256 });
  flash.program(10, new Uint8Array([0, 0xf0, 0x0f, 0xaa]), 1, 3);
  flash.program(10, new Uint8Array([0xcc, 0xff, 0x55]), 0, 3);
  const into = new Uint8Array(5);
  flash.read(9, into, 1, 4);
  t.deepEqual(Array.from(into), [0, 0xff, 0xf0 & 0xcc, 0x0f & 0xff, 0xaa & 0x55]);
  flash.program(300, new Uint8Array([1]), 0, 1);
  flash.eraseSector(0);
  flash.read(9, into, 0, 4);
  t.deepEqual(Array.from(into.subarray(0, 4)), [0xff, 0xff, 0xff, 0xff]);
  flash.read(300, into, 0, 1);
  t.is(into[0], 1, "erasing sector 0 left sector 1 alone");
  t.is(flash.erases, 1);
  t.is(flash.programs, 3);
});

test("out-of-range calls throw and change nothing", (t) => {
  const flash = new FileNorFlash({ sectorCount: 1, sectorSize: 256 });
  t.throws(() => flash.program(250, new Uint8Array(10), 0, 10), { message: /range 250\+10 outside 0\.\.256/ });
  t.throws(() => flash.program(0, new Uint8Array(4), 2, 4), { message: /data range 2\+4/ });
  t.throws(() => flash.eraseSector(1), { message: /sector 1 outside 0\.\.0/ });
  t.throws(() => flash.read(-1, new Uint8Array(1), 0, 1), { instanceOf: RangeError });
  t.true(flash.cells.every((b) => b === 0xff));
  t.throws(() => new FileNorFlash({ sectorCount: 0 }), { message: /sectorCount must be a positive integer/ });
});

test("content survives closing and reopening the image", (t) => {
  const file = join(tempDir(t), "store.flash");
  const first = new FileNorFlash({ sectorCount: 3, sectorSize: 4096, file });
  first.program(4096 + 5, new Uint8Array([1, 2, 3]), 0, 3);
  first.program(2 * 4096, new Uint8Array([0x12]), 0, 1);
  first.eraseSector(2);
  first.program(2 * 4096 + 1, new Uint8Array([0x34]), 0, 1);
  first.close();
  const bytes = readFileSync(file);
  t.deepEqual(Array.from(bytes.subarray(4096 + 5, 4096 + 8)), [1, 2, 3], "written through to the file");

  const again = new FileNorFlash({ sectorCount: 3, sectorSize: 4096, file });
  const into = new Uint8Array(3);
  again.read(4096 + 5, into, 0, 3);
  t.deepEqual(Array.from(into), [1, 2, 3]);
  again.read(2 * 4096, into, 0, 2);
  t.deepEqual(Array.from(into.subarray(0, 2)), [0xff, 0x34]);
  // NOR rules hold on reopened content too.
  again.program(4096 + 5, new Uint8Array([0xff, 0xff, 0x01]), 0, 3);
  again.read(4096 + 5, into, 0, 3);
  t.deepEqual(Array.from(into), [1, 2, 1]);
  again.close();
  t.throws(() => again.program(0, new Uint8Array(1), 0, 1), { message: /used after close/ });
});

test("an existing image of the wrong size is refused with a clear error and left untouched", (t) => {
  const file = join(tempDir(t), "store.flash");
  writeFileSync(file, new Uint8Array(1000).fill(0x42));
  t.throws(() => new FileNorFlash({ sectorCount: 4, sectorSize: 4096, file }), {
    message: new RegExp(`flash image .*store\\.flash is 1000 bytes but the partition needs 16384 \\(4 x 4096\\)`),
  });
  const bytes = readFileSync(file);
  t.is(bytes.length, 1000);
  t.true(bytes.every((b) => b === 0x42));
});

test("the provider opens partitions by name and names the missing one", (t) => {
  const dir = tempDir(t);
  const provider = new FileFlashProvider({
    store: { sectorCount: 2, file: join(dir, "store.flash") },
    scratch: { sectorCount: 1, sectorSize: 512 },
  });
  t.is(provider.open("store").sectorCount, 2);
  t.is(provider.open("scratch").sectorSize, 512);
  t.throws(() => provider.open("nvs"), { message: 'flash partition "nvs" not found (have: store, scratch)' });
  provider.close();
});
