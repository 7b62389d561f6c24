/**
 * The fixtures published in mqtt-packet's own test file (node_modules/mqtt-packet/test.js), captured by running
 * that file with its test helpers replaced by recorders: the same objects and byte buffers mqtt-packet tests itself
 * with, not a copy we could get subtly wrong.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { runInNewContext } from "node:vm";

export interface Fixture {
  kind: "parseGenerate" | "parseOnly" | "generateOnly" | "parseError";
  name: string;
  object: Record<string, unknown> | null;
  buffer: Buffer;
  opts: Record<string, unknown> | undefined;
}

const require = createRequire(import.meta.url);

export function loadMqttPacketFixtures(): Fixture[] {
  const path = require.resolve("mqtt-packet/test.js");
  const recorded: Fixture[] = [];
  const record = (kind: Fixture["kind"], name: string, object: Record<string, unknown> | null, buffer: Buffer, opts: Record<string, unknown> | undefined) => {
    recorded.push({ kind, name, object, buffer, opts });
  };
  // Later function declarations win in a script: these replace the file's own helpers for every call.
  const overrides = `
function testParseGenerate (name, object, buffer, opts) { __record('parseGenerate', name, object, buffer, opts) }
function testParseOnly (name, object, buffer, opts) { __record('parseOnly', name, object, buffer, opts) }
function testGenerateOnly (name, object, buffer, opts) { __record('generateOnly', name, object, buffer, opts) }
function testParseError (expected, fixture, opts) { __record('parseError', expected, null, fixture, opts) }
function testParseGenerateDefaults (name, object, buffer, generated, opts) { __record('parseOnly', name, generated, buffer, opts) }
function testParseAndGenerate (name, object, buffer, opts) { __record('parseOnly', name, object, buffer, opts) }
function testGenerateError () {}
function testGenerateErrorMultipleCmds () {}
function testWriteToStreamError () {}
`;
  const source = readFileSync(path, "utf8") + overrides;
  const fakeTape = () => {};
  const localRequire = (id: string) => {
    if (id === "tape") return fakeTape;
    if (id === "./") return require("mqtt-packet");
    return require(createRequire(path).resolve(id));
  };
  runInNewContext(source, { require: localRequire, Buffer, __record: record, console, process, setImmediate, setTimeout }, { filename: path });
  return recorded;
}

/** Protocol level 4 (MQTT 3.1.1) fixtures only: no v5 options, no MQIsdp/level 3 CONNECT. */
export function isLevel4(fixture: Fixture): boolean {
  const opts = fixture.opts ?? {};
  if (opts.protocolVersion !== undefined && opts.protocolVersion !== 4) return false;
  const object = fixture.object;
  if (object && object.protocolVersion !== undefined && object.protocolVersion !== 4) return false;
  if (object && object.properties !== undefined) return false;
  return true;
}
