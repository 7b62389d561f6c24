/** NOR partitions by name: erase sets 0xFF, write ANDs; read returns a new ArrayBuffer as the SDK's does. */
export const partitions: Record<string, Uint8Array> = {
  store: new Uint8Array(16 * 4096).fill(0xff),
  nextota: new Uint8Array(64 * 4096).fill(0xff),
};

export const flashStats = { erases: 0, writes: 0, reads: 0 };

export default class Flash {
  private readonly cells: Uint8Array;
  constructor(name: string) {
    const cells = partitions[name];
    if (!cells) throw new Error("can't find partition");
    this.cells = cells;
  }
  get byteLength(): number {
    return this.cells.length;
  }
  get blockSize(): number {
    return 4096;
  }
  erase(sector: number): void {
    if (!(sector >= 0 && (sector + 1) * 4096 <= this.cells.length)) throw new Error("erase failed");
    flashStats.erases++;
    this.cells.fill(0xff, sector * 4096, (sector + 1) * 4096);
  }
  read(offset: number, byteLength: number): ArrayBuffer {
    if (!(offset >= 0 && offset + byteLength <= this.cells.length)) throw new Error("read failed");
    flashStats.reads++;
    return this.cells.slice(offset, offset + byteLength).buffer;
  }
  write(offset: number, byteLength: number, buffer: Uint8Array): void {
    if (byteLength <= 0 || buffer.length < byteLength) throw new Error("invalid");
    if (!(offset >= 0 && offset + byteLength <= this.cells.length)) throw new Error("write failed");
    flashStats.writes++;
    for (let i = 0; i < byteLength; i++) this.cells[offset + i] &= buffer[i];
  }
}
