/**
 * Counts the bytes of typed arrays allocated while `run` executes, by swapping the global typed-array constructors
 * for counting subclasses. On XS those backing stores live in the chunk heap (`creation.chunk`), so this is how the
 * host checks that a configuration's fixed buffers fit the device's chunk budget. Test-only.
 */
const NAMES = ["Uint8Array", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array"] as const;

export function typedArrayBytesDuring(run: () => void): number {
  const globals = globalThis as unknown as Record<string, new (...args: unknown[]) => ArrayBufferView>;
  const originals = NAMES.map((name) => globals[name]);
  let bytes = 0;
  NAMES.forEach((name, i) => {
    const Base = originals[i];
    globals[name] = class extends Base {
      constructor(...args: unknown[]) {
        super(...args);
        // Views over an existing buffer allocate nothing; only a length (or array-like) makes a new backing store.
        if (!(args[0] instanceof ArrayBuffer)) bytes += this.byteLength;
      }
    } as unknown as new (...args: unknown[]) => ArrayBufferView;
  });
  try {
    run();
  } finally {
    NAMES.forEach((name, i) => (globals[name] = originals[i]));
  }
  return bytes;
}
