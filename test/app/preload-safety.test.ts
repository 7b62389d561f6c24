/**
 * The device bundle keeps no module-level mutable state: on the device it is preloaded (its top level runs at build
 * time, into flash), where a module `let` or an unfrozen object costs a RAM alias and a Map, typed array or /g
 * RegExp made at load is read-only and throws when written. None of that shows in Node or xsnap, so this reads the
 * built bundle (rollup builds it before the tests) with the rules of test/helpers/preload-safety.ts. The real
 * check is xsl's: `npm run moddable:sim` / `npm run moddable:esp32` print its warnings (docs/boards.md).
 */
import test from "ava";
import { existsSync } from "node:fs";
import { readText } from "../helpers/forbidden-apis";
import { checkPreloadSafety } from "../helpers/preload-safety";

const DEVICE_BUNDLE = "dist/device/gateway.js";

/**
 * Module-level tables built at load and only read afterwards (never written: preloaded, a write would throw), by
 * binding name or by the function that builds them. Keep it short; anything written at run time belongs in an
 * instance or a call.
 */
const READ_ONLY_TABLES: Record<string, string> = {
  TABLE: "src/modbus/crc16.ts and src/store/crc32.ts: CRC lookup tables",
  INITIAL: "src/crypto/sha1.ts, sha256.ts: initial hash state, copied into each hash's own state",
  K: "src/crypto/sha256.ts: round constants",
  DICT_INDEX: "src/store/packed-json.ts: dictionary index, filled at load, only get() afterwards",
  ascii: "src/http/response-parser.ts: header names and values as bytes (H_*, V_*, HTTP_1), only compared with",
  "PeakDemand.KEY": "src/store/collections.ts: the one-byte record key, only passed to the store to read",
};


test("the device bundle keeps no module-level mutable state (preload-safe)", (t) => {
  t.true(existsSync(DEVICE_BUNDLE), `${DEVICE_BUNDLE} missing: run rollup -c first`);
  const problems = checkPreloadSafety(readText(DEVICE_BUNDLE), READ_ONLY_TABLES);
  t.deepEqual(
    problems,
    [],
    "module-level state in the device bundle (see test/helpers/preload-safety.ts)",
  );
});

test("the checker finds each kind of module-level mutable state, and passes frozen constants", (t) => {
  const source = `
    import * as ns from "somewhere";
    import { deepFreeze } from "freeze";
    let counter = 0;
    var legacy = 1;
    const WORDS = /\\w+/g;
    const STICKY = new RegExp("a", "y");
    const PLAIN_RE = /^a+$/;
    const cache = new Map();
    const scratch = new Uint16Array(512);
    const view = new DataView(new ArrayBuffer(4));
    const loose = { a: 1 };
    const list = [1, 2];
    const shallow = Object.freeze({ inner: { b: 2 } });
    const hidden = deepFreeze({ seen: new Set() });
    const computed = makeState();
    const Phase = deepFreeze({ Idle: 0, Busy: 1 });
    const ROUTES = deepFreeze([{ name: "a", parts: ["x", "y"], point: u16(0, 2) }]);
    const NAMES = Object.freeze(["a", "b"]);
    const TABLE$1 = buildTable$1();
    const BYTES = ascii("content-length");
    const HALF = Math.cos(1) / 2;
    const SIZE = 4 * 1024;
    const label = \`v\${SIZE}\`;
    const f = (x) => ({ x });
    class Registry {
      static instances = [];
      static KIND = "registry";
      static empty() { return new Map(); }
      items = [];
    }
    export const exported = { mutable: true };
    export function start() { let local = []; const re = /x/g; return local.concat(re); }
  `;
  const problems = checkPreloadSafety(source, { TABLE: "a CRC table", ascii: "byte strings" });
  const names = problems.map((problem) => problem.split(" ")[0]);
  t.deepEqual(
    names,
    ["ns", "counter", "legacy", "WORDS", "STICKY", "PLAIN_RE", "cache", "scratch", "view", "loose", "list", "shallow", "hidden", "computed", "Registry.instances", "exported"],
    problems.join("\n"),
  );
  t.regex(problems.find((problem) => problem.startsWith("WORDS "))!, /lastIndex/);
  t.regex(problems.find((problem) => problem.startsWith("counter "))!, /no const/);
  t.regex(problems.find((problem) => problem.startsWith("cache "))!, /new Map\(\)/);
  t.regex(problems.find((problem) => problem.startsWith("loose "))!, /deepFreeze/);
  t.deepEqual(checkPreloadSafety("const Phase = deepFreeze({ Idle: 0 });\nexport function start() {}\n"), []);
});
