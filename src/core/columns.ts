/**
 * Typed-array columns carved out of one ArrayBuffer. On XS every `new Uint32Array(n)` also makes its own
 * ArrayBuffer, and the pair costs about 7 heap slots; a view on a shared buffer costs about 4. A class with many
 * small columns (the store's tables, per-sector state) keeps them in one buffer and saves ~3 slots per column,
 * with the same element access as before. Columns are laid out in the order given, each aligned to its element
 * size; the buffer is sized exactly for them.
 */
export type ColumnKind = "u8" | "i16" | "u16" | "i32" | "u32" | "f64";
export type Column = Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float64Array;

function elementBytes(kind: ColumnKind): number {
  switch (kind) {
    case "u8":
      return 1;
    case "i16":
    case "u16":
      return 2;
    case "i32":
    case "u32":
      return 4;
    case "f64":
      return 8;
  }
}

/** One typed array per [kind, length] of `spec`, in order, all views of one ArrayBuffer. */
export function columns(spec: readonly (readonly [ColumnKind, number])[]): Column[] {
  let bytes = 0;
  for (let i = 0; i < spec.length; i++) {
    const size = elementBytes(spec[i][0]);
    bytes = Math.ceil(bytes / size) * size + size * spec[i][1];
  }
  const buffer = new ArrayBuffer(bytes);
  const out: Column[] = [];
  let at = 0;
  for (let i = 0; i < spec.length; i++) {
    const [kind, length] = spec[i];
    const size = elementBytes(kind);
    at = Math.ceil(at / size) * size;
    switch (kind) {
      case "u8":
        out.push(new Uint8Array(buffer, at, length));
        break;
      case "i16":
        out.push(new Int16Array(buffer, at, length));
        break;
      case "u16":
        out.push(new Uint16Array(buffer, at, length));
        break;
      case "i32":
        out.push(new Int32Array(buffer, at, length));
        break;
      case "u32":
        out.push(new Uint32Array(buffer, at, length));
        break;
      case "f64":
        out.push(new Float64Array(buffer, at, length));
        break;
    }
    at += size * length;
  }
  return out;
}
