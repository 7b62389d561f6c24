/**
 * `Resource` (modules/files/resource/Resource.js over Resource.c; modules/files/resource/manifest.json, both
 * platforms): `new Resource(path)` for a resource built into the app (throws when there is none), static
 * `exists(path)`, `byteLength`, `slice(begin, end)` a copy in RAM. The resources here are what a test put in
 * `resources` before the HAL reads them.
 */
import { resources } from "./hardware";

export default class Resource {
  readonly #bytes: Uint8Array;

  constructor(path: string) {
    const bytes = resources.get(String(path));
    if (!bytes) throw new Error(`Resource: ${path} not found`);
    this.#bytes = bytes;
  }

  static exists(path: string): boolean {
    return resources.has(String(path));
  }

  get byteLength(): number {
    return this.#bytes.length;
  }

  slice(begin: number, end?: number): ArrayBuffer {
    return this.#bytes.slice(begin, end).buffer;
  }
}
