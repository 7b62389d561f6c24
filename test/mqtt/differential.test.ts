/**
 * Differential tests against mqtt-packet (the parser/generator behind MQTT.js and aedes): its own published
 * protocol-level-4 fixtures, then random packets of every kind in both directions.
 */
import test from "ava";
import mqttPacket from "mqtt-packet";
import { MqttError } from "../../src/mqtt/constants";
import { DecodeStatus, MqttDecoder } from "../../src/mqtt/decoder";
import { publishSize } from "../../src/mqtt/encoder";
import { SeededRandom } from "../../hal/sim/random";
import { comparable, decodeAll, encodeObject, viewKeys } from "./helpers/codec-helpers";
import { isLevel4, loadMqttPacketFixtures } from "./helpers/mqtt-packet-fixtures";

const fixtures = loadMqttPacketFixtures().filter(isLevel4);
const LARGE = 1 << 16;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function isMqisdp(object: any): boolean {
  return object?.cmd === "connect" && object.protocolId !== undefined && object.protocolId !== "MQTT";
}

test("the mqtt-packet fixture file was found and holds level-4 fixtures of every kind", (t) => {
  const kinds = new Set(fixtures.filter((f) => f.object).map((f) => (f.object as { cmd: string }).cmd));
  t.true(fixtures.length > 50, `only ${fixtures.length} fixtures`);
  for (const cmd of ["connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect"]) {
    t.true(kinds.has(cmd), `no fixture for ${cmd}`);
  }
});

test("we parse every valid level-4 fixture to the fields mqtt-packet expects", (t) => {
  let checked = 0;
  for (const fixture of fixtures) {
    if (fixture.kind !== "parseGenerate" && fixture.kind !== "parseOnly") continue;
    const object = fixture.object!;
    if (fixture.buffer.length > LARGE) {
      // The 256 MiB publish: handed on as the prefix that fits the buffer, the body skipped, never buffered.
      const decoder = new MqttDecoder(8192);
      const head = new Uint8Array(fixture.buffer.subarray(0, 8192 + 100));
      t.is(decoder.feed(head, 0, head.length), 8192);
      t.is(decoder.next(), DecodeStatus.Packet, fixture.name);
      t.is(decoder.packet.oversizeBytes, fixture.buffer.length, `${fixture.name}: announced size`);
      t.is(decoder.packet.payloadOffset + decoder.packet.payloadLength, 8192);
      t.is(decoder.feed(head, 8192, 100), 100);
      t.is(decoder.next(), DecodeStatus.NeedMore, `${fixture.name}: the tail is skipped`);
      t.is(decoder.finish(), MqttError.Truncated, `${fixture.name}: the stream stopped inside the skipped tail`);
      t.is(publishSize(4, (object.payload as Buffer).length, 0), fixture.buffer.length, `${fixture.name}: size arithmetic`);
      checked++;
      continue;
    }
    const result = decodeAll(new Uint8Array(fixture.buffer), LARGE);
    if (isMqisdp(object)) {
      t.is(result.error, MqttError.BadProtocol, `${fixture.name}: we speak 3.1.1 only`);
      checked++;
      continue;
    }
    t.is(result.error, MqttError.None, `${fixture.name}: ${result.description}`);
    t.is(result.packets.length, 1, fixture.name);
    const ours = result.packets[0];
    const keys = viewKeys(ours).filter((key) => key in object || key === "length" || key === "messageId");
    t.deepEqual(comparable(ours, keys), comparable(object, keys), fixture.name);
    checked++;
  }
  t.true(checked >= 25, `${checked} fixtures checked`);
});

test("we generate the exact bytes of every level-4 fixture of a kind we encode", (t) => {
  let checked = 0;
  for (const fixture of fixtures) {
    if (fixture.kind !== "parseGenerate" && fixture.kind !== "generateOnly") continue;
    const object = fixture.object!;
    if (fixture.buffer.length > LARGE || isMqisdp(object)) continue;
    t.deepEqual(Array.from(encodeObject(object)), Array.from(fixture.buffer), fixture.name);
    checked++;
  }
  t.true(checked >= 20, `${checked} fixtures checked`);
});

test("every level-4 parse-error fixture ends our stream in a protocol error too", (t) => {
  let checked = 0;
  for (const fixture of fixtures) {
    if (fixture.kind !== "parseError") continue;
    const result = decodeAll(new Uint8Array(fixture.buffer), LARGE);
    t.not(result.error, MqttError.None, `${fixture.name}: accepted ${JSON.stringify(result.packets)}`);
    checked++;
  }
  t.true(checked > 30, `${checked} fixtures checked`);
});

// ---- random packets both ways ----

const random = new SeededRandom(2024);
const pick = <T>(items: readonly T[]): T => items[random.nextInt(items.length)];
const id = () => 1 + random.nextInt(65535);
const LEVEL_CHARS = "abcxyz019_-é€😀 ";

function randomText(maxLength: number, allowEmpty = true): string {
  const chars = Array.from(LEVEL_CHARS);
  const length = (allowEmpty ? 0 : 1) + random.nextInt(maxLength);
  let out = "";
  for (let i = 0; i < length; i++) out += pick(chars);
  return out;
}

function randomTopic(): string {
  const levels = 1 + random.nextInt(5);
  const parts: string[] = [];
  for (let i = 0; i < levels; i++) parts.push(randomText(8));
  const topic = parts.join("/");
  return topic.length === 0 ? "t" : topic;
}

function randomFilter(): string {
  const levels = 1 + random.nextInt(5);
  const parts: string[] = [];
  for (let i = 0; i < levels; i++) parts.push(random.nextInt(5) === 0 ? "+" : randomText(6));
  if (random.nextInt(4) === 0) parts.push("#");
  const filter = parts.join("/");
  return filter.length === 0 ? "f" : filter;
}

function randomBytes(maxLength: number): Buffer {
  const out = Buffer.alloc(random.nextInt(maxLength));
  random.fill(out, 0, out.length);
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function randomObject(cmd: string): any {
  switch (cmd) {
    case "connect": {
      const clean = random.nextInt(2) === 0;
      // MQTT 3.1.1 allows an empty client id only with a clean session.
      const object: Record<string, unknown> = {
        cmd, protocolId: "MQTT", protocolVersion: 4, clean, keepalive: random.nextInt(65536), clientId: randomText(23, clean),
      };
      if (random.nextInt(2)) object.will = { topic: randomTopic(), payload: randomBytes(40), qos: random.nextInt(3), retain: random.nextInt(2) === 1 };
      if (random.nextInt(2)) {
        object.username = randomText(20);
        if (random.nextInt(2)) object.password = randomBytes(40);
      }
      return object;
    }
    case "connack": {
      const returnCode = random.nextInt(6);
      return { cmd, returnCode, sessionPresent: returnCode === 0 && random.nextInt(2) === 1 };
    }
    case "publish": {
      const qos = random.nextInt(3);
      const object: Record<string, unknown> = { cmd, topic: randomTopic(), payload: randomBytes(random.nextInt(10) === 0 ? 20000 : 300), qos, retain: random.nextInt(2) === 1, dup: qos > 0 && random.nextInt(2) === 1 };
      if (qos > 0) object.messageId = id();
      return object;
    }
    case "subscribe": {
      const subscriptions = [];
      for (let i = 1 + random.nextInt(5); i > 0; i--) subscriptions.push({ topic: randomFilter(), qos: random.nextInt(3) });
      return { cmd, messageId: id(), subscriptions };
    }
    case "suback": {
      const granted = [];
      for (let i = 1 + random.nextInt(6); i > 0; i--) granted.push(pick([0, 1, 2, 128]));
      return { cmd, messageId: id(), granted };
    }
    case "unsubscribe": {
      const unsubscriptions = [];
      for (let i = 1 + random.nextInt(5); i > 0; i--) unsubscriptions.push(randomFilter());
      return { cmd, messageId: id(), unsubscriptions };
    }
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
    case "unsuback":
      return { cmd, messageId: id() };
    default:
      return { cmd };
  }
}

const ALL = ["connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect"];

function parseWithMqttPacket(bytes: Uint8Array): unknown[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: unknown[] = [];
  const errors: Error[] = [];
  parser.on("packet", (packet: unknown) => packets.push(packet));
  parser.on("error", (error: Error) => errors.push(error));
  parser.parse(Buffer.from(bytes));
  if (errors.length > 0) throw errors[0];
  return packets;
}

test("random packets of every kind: what we encode, mqtt-packet parses to the same fields", (t) => {
  for (let round = 0; round < 150; round++) {
    for (const cmd of ALL) {
      const object = randomObject(cmd);
      const bytes = encodeObject(object);
      const parsed = parseWithMqttPacket(bytes);
      t.is(parsed.length, 1, `${cmd} round ${round}`);
      const ours = decodeAll(bytes, LARGE).packets[0];
      const keys = viewKeys(ours);
      t.deepEqual(comparable(parsed[0], keys), comparable(ours, keys), `${cmd} round ${round}`);
      t.deepEqual(comparable(object, Object.keys(object)), comparable(ours, Object.keys(object)), `${cmd} round ${round}: fields survive`);
    }
  }
});

test("random packets of every kind: what mqtt-packet generates, we parse to the same fields, in any chunking", (t) => {
  for (let round = 0; round < 150; round++) {
    const objects = ALL.map(randomObject);
    const stream = Buffer.concat(objects.map((object) => mqttPacket.generate(object)));
    // Several packets in one read, and packets split across reads at random sizes.
    const result = decodeAll(new Uint8Array(stream), LARGE, 1 + random.nextInt(64));
    t.is(result.error, MqttError.None, result.description);
    t.is(result.packets.length, objects.length);
    for (let i = 0; i < objects.length; i++) {
      const keys = Object.keys(objects[i]);
      t.deepEqual(comparable(result.packets[i], keys), comparable(objects[i], keys), `${objects[i].cmd} round ${round}`);
    }
  }
});
