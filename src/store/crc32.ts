/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the one zlib and ESP-IDF use; check value of "123456789" is 0xCBF43926. */
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Start value for `crc32Update`. */
export const CRC32_INIT = 0xffffffff;

/** Feed `length` bytes of `data` from `offset` into a running CRC (start with CRC32_INIT, finish with crc32Final). */
export function crc32Update(crc: number, data: Uint8Array, offset: number, length: number): number {
  const table = TABLE;
  const end = offset + length;
  for (let i = offset; i < end; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return crc;
}

export function crc32Final(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

export function crc32(data: Uint8Array, offset: number, length: number): number {
  return crc32Final(crc32Update(CRC32_INIT, data, offset, length));
}
