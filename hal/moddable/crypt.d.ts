/**
 * Ambient declarations of the SDK's `crypt` (modules/crypt/digest/crypt.js, native in modCrypt.c) and `Resource`
 * (modules/files/resource) modules, narrowed to the calls hal/moddable/digest.ts and tls-trust.ts make.
 */
declare module "crypt" {
  export class Digest {
    /** "MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512" */
    constructor(type: string);
    /** A string, an ArrayBuffer or a view (its own range). */
    write(data: ArrayBuffer | ArrayBufferView | string): void;
    /** The digest of what was written; it finalizes the state: reset() before writing again (no error otherwise, a wrong digest). */
    close(): ArrayBuffer;
    reset(): void;
    readonly blockSize: number;
    readonly outputSize: number;
  }
}

declare module "Resource" {
  /** modules/files/resource/Resource.js: a read-only view of a resource built into the app (mcrez). */
  export default class Resource {
    constructor(path: string);
    static exists(path: string): boolean;
    readonly byteLength: number;
    /** A copy of bytes [begin, end) in RAM. */
    slice(begin: number, end?: number): ArrayBuffer;
  }
}
