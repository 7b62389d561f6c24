/**
 * Where the values of a JSON text are, without parsing it into objects: a scanner over the text that finds the span
 * of a member's value and of each element of an array. It exists for memory, not speed. `JSON.parse` of a command
 * builds the whole tree at once: a spec 003 SET of 30 tasks (8 KB) is about 750 XS heap slots before its first task
 * is even validated, next to a device budget of 4,000 for everything. With the spans a handler parses the envelope
 * without the big array, then one element at a time, and the tree of one element is garbage before the next.
 *
 * The scanner only finds boundaries; `JSON.parse` still checks every byte it is given. On anything the scanner is
 * not sure of (malformed text, a key written with escapes, a member that appears twice) it answers null and the
 * caller parses the whole text as before, so errors are reported exactly as `JSON.parse` reports them. Iterative
 * (nesting is counted, never recursed), so no input can overflow the stack here. Command rate; it allocates only
 * its result.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && isSpace(text.charCodeAt(at))) at++;
  return at;
}

/** Index after the string that starts at `at` (a quote), or -1. */
function skipString(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
    else if (c < 0x20) return -1;
  }
  return -1;
}

/** Index after the value that starts at `at` (no leading space), or -1 when it is not well formed as far as seen. */
export function skipValue(text: string, at: number): number {
  if (at >= text.length) return -1;
  const first = text.charCodeAt(at);
  if (first === QUOTE) return skipString(text, at);
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
    // A number or a literal: up to the next delimiter; JSON.parse checks its spelling later.
    let i = at;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || isSpace(c) || c === COLON) break;
      i++;
    }
    return i > at ? i : -1;
  }
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = skipString(text, i);
      if (end < 0) return -1;
      i = end - 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * The span [start, end) of the value of member `key` of the object whose `{` is at `at`, or null when the object
 * does not have it exactly once (written without escapes), or is not well formed as far as the scanner sees.
 * `alsoKey`: a second spelling that counts as the same member (spec 003's "payload" / "payload ").
 */
export function memberSpan(text: string, at: number, key: string, alsoKey = key): [number, number] | null {
  if (text.charCodeAt(at) !== OPEN_OBJECT) return null;
  let i = skipSpace(text, at + 1);
  if (text.charCodeAt(i) === CLOSE_OBJECT) return null;
  let found: [number, number] | null = null;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return null;
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return null;
    const name = text.slice(i + 1, keyEnd - 1);
    if (name.indexOf("\\") >= 0) return null;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return null;
    const valueStart = skipSpace(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    if (valueEnd < 0) return null;
    if (name === key || name === alsoKey) {
      if (found !== null) return null;
      found = [valueStart, valueEnd];
    }
    i = skipSpace(text, valueEnd);
    const c = text.charCodeAt(i);
    if (c === CLOSE_OBJECT) return found;
    if (c !== COMMA) return null;
    i = skipSpace(text, i + 1);
  }
}

/**
 * The elements of the array whose `[` is at `at` and whose `]` ends at `end`, as [start, end) pairs (2 per element),
 * or null when it is not well formed as far as the scanner sees. `maxElements` bounds the answer: beyond it, null
 * (the caller's whole-text path then reports the bound).
 */
export function elementSpans(text: string, at: number, end: number, maxElements: number): Uint32Array | null {
  if (text.charCodeAt(at) !== OPEN_ARRAY || text.charCodeAt(end - 1) !== CLOSE_ARRAY) return null;
  let count = 0;
  // Two passes: count, then fill, so the answer is one typed array of the right size.
  for (let pass = 0; pass < 2; pass++) {
    const spans = pass === 1 ? new Uint32Array(2 * count) : null;
    let n = 0;
    let i = skipSpace(text, at + 1);
    if (i === end - 1) return new Uint32Array(0);
    for (;;) {
      const valueEnd = skipValue(text, i);
      if (valueEnd < 0 || valueEnd > end - 1) return null;
      if (spans !== null) {
        spans[2 * n] = i;
        spans[2 * n + 1] = valueEnd;
      }
      n++;
      if (n > maxElements) return null;
      i = skipSpace(text, valueEnd);
      if (i === end - 1) break;
      if (text.charCodeAt(i) !== COMMA) return null;
      i = skipSpace(text, i + 1);
    }
    if (spans !== null) return spans;
    count = n;
  }
  return null;
}

/** The elements of a JSON array, one at a time: parsed when asked for, or already parsed. */
export interface JsonElements {
  readonly length: number;
  /** Element `i`, parsed now (a fresh tree each call for text). Throws SyntaxError for an element that is not JSON. */
  at(i: number): unknown;
}

/** An array parsed whole (messages parsed by the caller, texts the scanner declined). */
export class ArrayElements implements JsonElements {
  constructor(private readonly list: readonly unknown[]) {}
  get length(): number {
    return this.list.length;
  }
  at(i: number): unknown {
    return this.list[i];
  }
}

/** Elements still in their text: `spans` holds [start, end) per element. */
export class TextElements implements JsonElements {
  constructor(
    private readonly text: string,
    private readonly spans: Uint32Array,
  ) {}
  get length(): number {
    return this.spans.length >>> 1;
  }
  at(i: number): unknown {
    return JSON.parse(this.text.slice(this.spans[2 * i], this.spans[2 * i + 1]));
  }
}

/** A message text split into its envelope (the array member written as `[]`) and the array's elements. */
export interface SplitMessage {
  envelope: string;
  elements: TextElements;
}

/**
 * Split `text` (a JSON object) at the array reached through `path`: each step a member key, with an optional second
 * spelling (spec 003's "payload" / "payload "). Null when any step is missing, doubled or escaped, the array has
 * more than `maxElements` elements, or the scanner is unsure: the caller then parses the whole text, which reports
 * any error as before.
 */
export function splitArrayMember(text: string, path: readonly (readonly string[])[], maxElements: number): SplitMessage | null {
  let at = 0;
  while (at < text.length && isSpace(text.charCodeAt(at))) at++;
  let span: [number, number] | null = null;
  for (const [key, alsoKey] of path) {
    span = memberSpan(text, span === null ? at : span[0], key, alsoKey ?? key);
    if (span === null) return null;
  }
  if (span === null) return null;
  const spans = elementSpans(text, span[0], span[1], maxElements);
  if (spans === null) return null;
  return { envelope: `${text.slice(0, span[0])}[]${text.slice(span[1])}`, elements: new TextElements(text, spans) };
}
