/**
 * `instrumentation` (modules/base/instrumentation/instrumentation.js, modInstrumentation.c): `map(name)` is the
 * index of a name in the build's table (index 0 is ""), `get(index)` its value, `name(index)` the reverse; all
 * return undefined in a build without MODINSTRUMENTATION.
 */
const names = ["", "Timers", "Files", "System Free Memory", "XS Slot Heap Used", "XS Chunk Heap Used", "XS Keys Used"];
const values = [0, 3, 0, 90_000, 40_000, 30_000, 100];

class Instrumentation {
  static get(what: number): number | undefined {
    return what >= 0 && what < values.length ? values[what] : undefined;
  }
  static map(name: string): number | undefined {
    const index = names.indexOf(name);
    return index <= 0 ? undefined : index;
  }
  static name(what: number): string | undefined {
    return what > 0 && what < names.length ? names[what] : undefined;
  }
}

export default Instrumentation;
