/**
 * Ambient declaration of the SDK's `crypt` module (modules/crypt/digest/crypt.js, native in modCrypt.c), narrowed to
 * the Digest calls hal/moddable/digest.ts makes. Kept apart from moddable.d.ts only because it was added later.
 */
declare module "crypt" {
  export class Digest {
    /** "MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512" */
    constructor(type: string);
    /** A string, an ArrayBuffer or a view (its own range). */
    write(data: ArrayBuffer | ArrayBufferView | string): void;
    /** The digest of what was written; the state stays until reset(). */
    close(): ArrayBuffer;
    reset(): void;
    readonly blockSize: number;
    readonly outputSize: number;
  }
}
