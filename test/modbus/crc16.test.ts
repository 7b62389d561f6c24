import test from "ava";
import { appendCrc, checkCrc, crc16 } from "../../src/modbus/crc16";

const bytes = (...values: number[]) => Uint8Array.from(values);

test("CRC of the classic read request 01 03 00 00 00 01 is 84 0A on the wire", (t) => {
  const frame = new Uint8Array(8);
  frame.set([0x01, 0x03, 0x00, 0x00, 0x00, 0x01]);
  t.is(appendCrc(frame, 0, 6), 8);
  t.deepEqual([...frame.slice(6)], [0x84, 0x0a]);
  t.true(checkCrc(frame, 0, 8));
});

test("CRC of 01 03 00 00 00 0A is 0xCDC5 (C5 CD on the wire)", (t) => {
  t.is(crc16(bytes(0x01, 0x03, 0x00, 0x00, 0x00, 0x0a), 0, 6), 0xcdc5);
});

test("the CRC is computed over the given window only, and a flipped bit fails the check", (t) => {
  const frame = new Uint8Array(12);
  frame.set([0xff, 0xff, 0x11, 0x06, 0x00, 0x01, 0x00, 0x03]);
  appendCrc(frame, 2, 6);
  t.true(checkCrc(frame, 2, 8));
  frame[5] ^= 0x01;
  t.false(checkCrc(frame, 2, 8));
  t.false(checkCrc(frame, 2, 2));
});
