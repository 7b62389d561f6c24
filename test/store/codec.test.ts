import test from "ava";
import { SeededRandom } from "../../hal/sim/random";
import { crc32 } from "../../src/store/crc32";
import { isStoreError } from "../../src/store/errors";
import { PACKED_DICTIONARY, packedDecode, packedEncode, packedToJson } from "../../src/store/packed-json";
import { utf8ByteLength, utf8Decode, utf8Encode } from "../../src/store/utf8";
import { jsonBytes, realisticStrategy, realisticTask } from "./fixtures";

const buf = new Uint8Array(65536);

function roundTrip(value: unknown): unknown {
  const end = packedEncode(value, buf, 0, buf.length);
  return packedDecode(buf, 0, end);
}

test("crc32 matches the standard check value and the bitwise definition", (t) => {
  t.is(crc32(new TextEncoder().encode("123456789"), 0, 9), 0xcbf43926);
  t.is(crc32(new Uint8Array(0), 0, 0), 0);
  const data = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
  t.is(crc32(data, 0, data.length), bitwiseCrc(data));
  t.is(crc32(data, 100, 50), bitwiseCrc(data.subarray(100, 150)));
});

/** The bit-at-a-time definition, independent of the table. */
function bitwiseCrc(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test("utf8 agrees with TextEncoder/TextDecoder and round-trips lone surrogates", (t) => {
  const texts = ["", "abc", "测试站点", "é€😀", "a\u0000b", "x".repeat(3000)];
  for (const text of texts) {
    const n = utf8Encode(text, buf, 0, buf.length);
    t.deepEqual(buf.slice(0, n), new TextEncoder().encode(text), text.slice(0, 10));
    t.is(utf8ByteLength(text), n);
    t.is(utf8Decode(buf, 0, n), text);
  }
  const lone = "a\ud800b\udfffc";
  const n = utf8Encode(lone, buf, 0, buf.length);
  t.is(n, 9);
  t.is(utf8Decode(buf, 0, n), lone);
  t.is(utf8Encode("测试", buf, 0, 5), -1, "refuses when the limit is reached");
  t.is(utf8Decode(Uint8Array.of(0xc3), 0, 1), null, "truncated sequence");
  t.is(utf8Decode(Uint8Array.of(0xc0, 0x80), 0, 2), null, "overlong");
});

test("packed JSON round-trips every spec-shaped body exactly, key order included", (t) => {
  const random = new SeededRandom(3);
  for (let i = 1; i <= 50; i++) {
    for (const body of [realisticStrategy(random, i), realisticTask(random, `task-${i}`)]) {
      const text = JSON.stringify(body);
      t.is(JSON.stringify(roundTrip(body)), text);
    }
  }
});

test("packed JSON is 4x smaller than JSON text on realistic bodies", (t) => {
  const random = new SeededRandom(4);
  let json = 0;
  let packed = 0;
  for (let i = 1; i <= 64; i++) {
    const s = realisticStrategy(random, i);
    json += jsonBytes(s);
    packed += packedEncode(s, buf, 0, buf.length);
  }
  for (let i = 1; i <= 256; i++) {
    const task = realisticTask(random, String(100 + i));
    json += jsonBytes(task);
    packed += packedEncode(task, buf, 0, buf.length);
  }
  t.log(`64 strategies + 256 tasks: ${json} B of JSON, ${packed} B packed (${(json / packed).toFixed(2)}x)`);
  t.true(json / packed > 3.8);
});

test("packed JSON: numbers, strings and special forms survive exactly", (t) => {
  const values: unknown[] = [
    0, 1, 127, 128, 255, 65535, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, -1, -128, -(2 ** 40), -Number.MAX_SAFE_INTEGER,
    0.1, 90.1, -95.5, 1e-7, 123.456789, 0.30000000000000004, 1e300, -1e-300, 5e-324, Math.PI, 2 ** 53 + 2, 1e21,
    "", "a", "ab", "abcd", "simple", "${time}", "2024-06-06T08:59:20.21309056Z", "2024-06-06T08:59:20Z", "0999-01-01T00:00:00.000Z",
    "2024-06-06T08:59:20.Z", "2024-6-06T08:59:20Z", "192.168.77.94", "0.0.0.0", "192.168.077.1", "256.1.1.1", "1.2.3",
    "测试站点", "x".repeat(40), null, true, false, [], {}, [[[]]], { "": 1, __proto__x: 2 },
  ];
  for (const value of values) t.deepEqual(roundTrip(value), value, JSON.stringify(value));
  const proto = JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}');
  const back = roundTrip(proto) as Record<string, unknown>;
  t.is(Object.getPrototypeOf(back), Object.prototype);
  t.deepEqual(Object.keys(back), ["__proto__", "a"]);
  t.is(JSON.stringify(back), JSON.stringify(proto));
});

test("packed JSON: repeated strings are stored once and expanded in order", (t) => {
  const stamp = "2024-06-06T08:59:20.21309056Z";
  const value = { a: stamp, b: [stamp, "site-x", "site-x"], c: { d: "site-x", e: "192.168.1.1", f: "192.168.1.1" } };
  const end = packedEncode(value, buf, 0, buf.length);
  t.deepEqual(packedDecode(buf, 0, end), value);
  const distinct = { a: stamp, b: [stamp.replace("59", "58"), "site-x", "site-y"], c: { d: "site-z", e: "192.168.1.1", f: "192.168.1.2" } };
  const distinctEnd = packedEncode(distinct, buf, 0, buf.length);
  t.deepEqual(packedDecode(buf, 0, distinctEnd), distinct);
  // Three repeats of 7-byte strings and one of a 13-byte time, each replaced by a 2-byte reference.
  t.is(distinctEnd - end, 5 + 5 + 3 + 11);
});

test("packed JSON follows JSON.stringify for undefined and functions, refuses what JSON cannot hold", (t) => {
  t.deepEqual(roundTrip({ a: undefined, b: 1, c: () => 1 }), { b: 1 });
  t.deepEqual(roundTrip([undefined, () => 1]), [null, null]);
  for (const [value, pattern] of [
    [NaN, /\$: NaN/],
    [{ a: [1, Infinity] }, /\$\.a\[1\]: Infinity/],
    [undefined, /undefined cannot be stored/],
    [{ d: new Date(0) }, /\$\.d: only plain objects/],
    [{ b: 10n }, /\$\.b: a bigint/],
  ] as const) {
    const error = t.throws(() => packedEncode(value, buf, 0, buf.length));
    t.true(isStoreError(error, "VALUE_INVALID"));
    t.regex(error!.message, pattern);
  }
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  t.throws(() => packedEncode(deep, buf, 0, buf.length), { message: /nested deeper than 32/ });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.throws(() => packedEncode(cyclic, buf, 0, buf.length), { message: /VALUE_INVALID/ });
  t.throws(() => packedEncode("x".repeat(100), buf, 0, 50), { message: /RECORD_TOO_LARGE/ });
});

test("packed JSON decoding refuses malformed input with CORRUPT", (t) => {
  for (const bytes of [[0xc3], [0xdf], [0xb1, 0x00], [0xca, 0xfe], [0xcd, 0x00], [0x01, 0x02], [0xa3, 0x01], [0xc7, 0x05, 0x61]]) {
    const error = t.throws(() => packedDecode(Uint8Array.from(bytes), 0, bytes.length, "test"));
    t.true(isStoreError(error, "CORRUPT"), JSON.stringify(bytes));
  }
});

test("packed JSON differential fuzz against JSON.parse(JSON.stringify(v))", (t) => {
  const random = new SeededRandom(77);
  const strings = ["", "a", "id", "taskId", "2024-01-02T03:04:05.6Z", "10.0.0.1", "测试", "long string value here", ...PACKED_DICTIONARY.slice(0, 20)];
  const gen = (depth: number): unknown => {
    const r = random.nextInt(depth > 3 ? 6 : 9);
    switch (r) {
      case 0:
        return random.nextInt(1000) - 500;
      case 1:
        return (random.nextU32() - 2 ** 31) / 2 ** random.nextInt(40);
      case 2:
        return strings[random.nextInt(strings.length)];
      case 3:
        return random.nextInt(2) === 0;
      case 4:
        return null;
      case 5:
        return random.nextU32() * 1000 + random.nextInt(1000);
      case 6:
      case 7: {
        const n = random.nextInt(20);
        return Array.from({ length: n }, () => gen(depth + 1));
      }
      default: {
        const o: Record<string, unknown> = {};
        const n = random.nextInt(20);
        for (let i = 0; i < n; i++) o[strings[random.nextInt(strings.length)] + (random.nextInt(3) === 0 ? String(i) : "")] = gen(depth + 1);
        return o;
      }
    }
  };
  for (let i = 0; i < 2000; i++) {
    const value = gen(0);
    t.is(JSON.stringify(roundTrip(value)), JSON.stringify(value));
    // Straight to text, without the tree: the same text.
    const end = packedEncode(value, buf, 0, buf.length);
    t.is(packedToJson(buf, 0, end), JSON.stringify(value));
  }
});

test("packed JSON straight to text equals JSON.stringify of the decoded value: special forms, repeats, __proto__, spec bodies", (t) => {
  const stamp = "2024-06-06T08:59:20.21309056Z";
  const values: unknown[] = [
    { a: stamp, b: [stamp, "site-x", "site-x"], c: { d: "site-x", e: "192.168.1.1", f: "192.168.1.1" } },
    JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}'),
    { "1": "integer-like keys first", a: [0.1, -0, 1e21, 5e-324, "测试", 'quote " and \\ backslash', "\u0001"] },
    realisticStrategy(new SeededRandom(3), 3),
    realisticTask(new SeededRandom(7), "t7"),
    [],
    {},
    "text",
    12,
  ];
  for (const value of values) {
    const end = packedEncode(value, buf, 0, buf.length);
    t.is(packedToJson(buf, 0, end), JSON.stringify(packedDecode(buf, 0, end)));
  }
  t.throws(() => packedToJson(new Uint8Array([0xa3, 0x01]), 0, 2), { message: /truncated|longer/ });
});
