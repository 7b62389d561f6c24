/**
 * `file` in the Linux simulator (modules/files/file/file.js over modules/files/file/lin; included by
 * boards/sim/manifest.json): `new File(path, write)` opens (creating it when writing), `read(ArrayBuffer, count)`
 * from `position`, `write(...buffers)` at `position`, `length`, `position`, `close()`; static delete, exists,
 * rename. Here the files live in memory (`files`), so boards/sim's flash and OTA state run as they are.
 */
import { files } from "./hardware";

function grow(entry: { bytes: Uint8Array; length: number }, length: number): void {
  if (length <= entry.bytes.length) return;
  let capacity = entry.bytes.length || 4096;
  while (capacity < length) capacity *= 2;
  const bytes = new Uint8Array(capacity);
  bytes.set(entry.bytes.subarray(0, entry.length));
  entry.bytes = bytes;
}

export class File {
  #entry: { bytes: Uint8Array; length: number } | undefined;
  #position = 0;
  readonly #write: boolean;

  constructor(path: string, write?: boolean) {
    let entry = files.get(path);
    if (!entry) {
      if (!write) throw new Error(`fake file: ${path}: no such file`);
      entry = { bytes: new Uint8Array(0), length: 0 };
      files.set(path, entry);
    }
    this.#entry = entry;
    this.#write = write === true;
  }

  read(type: unknown, count?: number): ArrayBuffer {
    const entry = this.#open();
    if (type !== ArrayBuffer) throw new Error("fake file: only read(ArrayBuffer, count) is modelled");
    const available = entry.length - this.#position;
    const n = count === undefined ? available : Math.min(count, available);
    if (n < 0) throw new Error("fake file: read past the end");
    const result = entry.bytes.slice(this.#position, this.#position + n).buffer;
    this.#position += n;
    return result;
  }

  write(...items: Array<ArrayBuffer | string>): void {
    const entry = this.#open();
    if (!this.#write) throw new Error("fake file: not opened for writing");
    for (const item of items) {
      const bytes = typeof item === "string" ? new TextEncoder().encode(item) : new Uint8Array(item);
      grow(entry, this.#position + bytes.length);
      entry.bytes.set(bytes, this.#position);
      this.#position += bytes.length;
      if (this.#position > entry.length) entry.length = this.#position;
    }
  }

  close(): void {
    this.#entry = undefined;
  }

  get length(): number {
    return this.#open().length;
  }

  get position(): number {
    return this.#position;
  }

  set position(value: number) {
    this.#position = value;
  }

  static delete(path: string): boolean {
    return files.delete(path);
  }

  static exists(path: string): boolean {
    return files.has(path);
  }

  static rename(from: string, to: string): boolean {
    const entry = files.get(from);
    if (!entry) return false;
    files.delete(from);
    files.set(to, entry);
    return true;
  }

  #open(): { bytes: Uint8Array; length: number } {
    if (!this.#entry) throw new Error("fake file: closed");
    return this.#entry;
  }
}

export class Iterator {
  constructor(_path: string) {
    throw new Error("fake file: Iterator is not modelled");
  }
}

export class Directory {
  static create(_path: string): void {
    throw new Error("fake file: Directory is not modelled");
  }
  static delete(_path: string): void {
    throw new Error("fake file: Directory is not modelled");
  }
}

export class System {
  static config(): { maxPathLength: number } {
    return { maxPathLength: 1024 };
  }
  static info(): { used: number; total: number } {
    return { used: 0, total: 0 };
  }
}

export default Object.freeze({ File, Iterator, System, Directory });
