import test from "ava";
import { jsonDepth, MAX_JSON_DEPTH, payloadPrefixText, payloadProblem, peekJsonField } from "../../src/protocol/payload-check";
import { InboundMessage } from "../../src/mqtt/session";

function message(bytes: Uint8Array, oversizeBytes = 0): InboundMessage {
  const m = new InboundMessage(bytes);
  m.payloadOffset = 0;
  m.payloadLength = bytes.length;
  m.oversizeBytes = oversizeBytes;
  return m;
}
const utf8 = (s: string) => new TextEncoder().encode(s);

test("jsonDepth counts brackets outside strings only, and stops past the limit", (t) => {
  t.is(jsonDepth(utf8('{"a":[1,{"b":[]}]}'), 0, 18, 32), 4);
  t.is(jsonDepth(utf8('{"a":"[[[[\\"[[["}'), 0, 17, 32), 1, "brackets inside strings, escaped quotes included, do not count");
  const deep = utf8("[".repeat(10_000) + "]".repeat(10_000));
  t.is(jsonDepth(deep, 0, deep.length, MAX_JSON_DEPTH), MAX_JSON_DEPTH + 1);
});

test("payloadProblem names the size limit, bad UTF-8 and deep nesting; a good payload has none", (t) => {
  t.is(payloadProblem(message(utf8('{"mid":"x"}'))), null);
  t.regex(payloadProblem(message(utf8('{"mid":"x"'), 20_000))!, /20000 bytes, more than this gateway's 10-byte limit/);
  t.regex(payloadProblem(message(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])))!, /not UTF-8/);
  t.regex(payloadProblem(message(utf8("[".repeat(33) + "]".repeat(33))))!, /nested deeper than 32/);
  t.is(payloadProblem(message(utf8("[".repeat(32) + "]".repeat(32)))), null);
});

test("peekJsonField reads a string or a number's digits, null when absent or escaped", (t) => {
  t.is(peekJsonField('{"mid" : "abc-1", "x":1}', "mid"), "abc-1");
  t.is(peekJsonField('{"msgid":628131887239491584,', "msgid"), "628131887239491584");
  t.is(peekJsonField('{"data":{"msgid_x":1},"msgid":-5}', "msgid"), "-5");
  t.is(peekJsonField('{"id":"a\\"b"}', "id"), null);
  t.is(peekJsonField('{"other":1}', "id"), null);
  t.is(peekJsonField('{"mid":"unterminated', "mid"), null);
});

test("payloadPrefixText stops before a character cut in half or an invalid byte", (t) => {
  const bytes = utf8('{"mid":"é"');
  t.is(payloadPrefixText(message(bytes.subarray(0, 9))), '{"mid":"');
  t.is(payloadPrefixText(message(new Uint8Array([0x41, 0x42, 0xff, 0x43]))), "AB");
});
