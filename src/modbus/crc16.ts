/**
 * Modbus RTU CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF). Table-driven: the 512-byte table is built once
 * at module load, so a frame check costs one lookup per byte and allocates nothing.
 */
const TABLE = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[i] = crc;
  }
  return table;
}

/**
 * CRC of `length` bytes of `data` from `offset`. On the wire it goes low byte first. Four bytes per loop turn: in XS
 * the loop's own compare-and-increment costs about as much as a byte's table step, and every frame of every control
 * cycle passes through here twice (request and answer).
 */
export function crc16(data: Uint8Array, offset: number, length: number): number {
  const table = TABLE;
  let crc = 0xffff;
  let i = offset;
  const end = offset + length;
  for (const end4 = end - 3; i < end4; i += 4) {
    crc = (crc >>> 8) ^ table[(crc ^ data[i]) & 0xff];
    crc = (crc >>> 8) ^ table[(crc ^ data[i + 1]) & 0xff];
    crc = (crc >>> 8) ^ table[(crc ^ data[i + 2]) & 0xff];
    crc = (crc >>> 8) ^ table[(crc ^ data[i + 3]) & 0xff];
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ table[(crc ^ data[i]) & 0xff];
  return crc;
}

/** Append the CRC after `length` bytes at `offset`; returns the frame length including the CRC. */
export function appendCrc(frame: Uint8Array, offset: number, length: number): number {
  const crc = crc16(frame, offset, length);
  frame[offset + length] = crc & 0xff;
  frame[offset + length + 1] = crc >>> 8;
  return length + 2;
}

/** True when the last two bytes of the `length`-byte frame are the CRC of the bytes before them. */
export function checkCrc(frame: Uint8Array, offset: number, length: number): boolean {
  if (length < 3) return false;
  const crc = crc16(frame, offset, length - 2);
  return frame[offset + length - 2] === (crc & 0xff) && frame[offset + length - 1] === crc >>> 8;
}
