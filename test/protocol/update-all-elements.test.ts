/**
 * update_all's strategies are parsed one at a time from the command text (handler.ts, src/protocol/json-spans.ts).
 * The reference for each case is the same command written so the scanner declines it (a second, earlier `data`
 * member, which JSON.parse overrides): that path parses the text whole, as the handler always did.
 */
import test from "ava";
import { command, example, rig } from "./helpers";

type Json = Record<string, unknown>;
const items = (): Json[] => (example("update_all_command").data as Json[]).map((item) => ({ ...item }));

/** The command text with a decoy `data` member first: the scanner sees `data` twice and leaves the text whole. */
function wholeParsed(message: Json): string {
  const text = JSON.stringify(message);
  return `{"data":null,${text.slice(1)}`;
}

const CASES: [string, () => unknown][] = [
  ["the spec's example", () => items()],
  ["ids given, kept", () => items().map((item, i) => ({ ...item, id: 40 + i }))],
  ["the same id twice", () => items().map((item) => ({ ...item, id: 7 }))],
  ["a bad field in the second item", () => items().map((item, i) => (i === 1 ? { ...item, streaming_status: 9 } : item))],
  ["an empty list", () => []],
  ["more than maxStrategies", () => Array.from({ length: 17 }, () => items()[0])],
  ["not objects", () => [1, "x"]],
];

for (const [name, data] of CASES) {
  test(`update_all, ${name}: the reply and the stored set equal the whole-text parse`, (t) => {
    const streamed = rig();
    const whole = rig();
    const message = command("update_all", "same-mid", data());
    const a = streamed.send("update_all", JSON.stringify(message));
    const b = whole.send("update_all", wholeParsed(message));
    const [ra, rb] = [JSON.parse(a[0].payload), JSON.parse(b[0].payload)];
    t.is(ra.code, rb.code);
    t.is(ra.msg, rb.msg);
    t.deepEqual(ra.data, rb.data);
    t.deepEqual(streamed.handler.listData(), whole.handler.listData());
  });
}

test("update_all with an item that is not JSON: 400 naming the item, with the command's mid, nothing changed", (t) => {
  const r = rig();
  r.send("update_all", JSON.stringify(command("update_all", "first", items())));
  const before = r.handler.listData();
  const text = JSON.stringify(command("update_all", "broken", items())).replace(/"data":\[/, '"data":[tru,');
  const reply = JSON.parse(r.send("update_all", text)[0].payload);
  t.is(reply.code, 400);
  t.is(reply.reply, "broken", "the envelope was read: the platform can match the refusal");
  t.is(reply.msg, "data[0]: not valid JSON");
  t.deepEqual(r.handler.listData(), before);
});
