/**
 * Deep freezing for module-level constant data (enums, tables, defaults, route lists).
 *
 * On the device the gateway module is preloaded: its module body runs at build time and what it makes goes to
 * flash. An object left unfrozen there costs a RAM alias pointer (and an xsl "not frozen" warning) and could still
 * be changed at run time; frozen, it costs nothing and a stray write throws (modules are strict) on every host, so
 * the Node and xsnap tests catch it too. Standard JavaScript only: XS's own `Object.freeze(value, true)` exists
 * nowhere else.
 */

/**
 * Freeze `value` and, recursively, every plain object and array it holds; returns `value` with its type.
 * Anything else (functions, class instances, typed arrays, Maps, ...) is left as is: Object.freeze throws on a
 * non-empty typed array, and instances are not constant data. An object that is already frozen is taken as frozen
 * all the way down (this also ends cycles): do not shallow-freeze a table before handing it here.
 * Marked free of side effects so that rollup drops a frozen table nothing uses, as it would drop the bare literal.
 */
/* @__NO_SIDE_EFFECTS__ */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  if (!Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
  }
  Object.freeze(value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) deepFreeze(record[key]);
  return value;
}
