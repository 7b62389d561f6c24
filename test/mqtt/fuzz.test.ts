/**
 * Fuzz the decoder with 100,000+ random and mutated byte streams, fed in random chunk sizes. Properties:
 * no exception ever escapes; a stream either decodes completely into packets that survive a round trip through our
 * encoder and that mqtt-packet parses to the same fields, or it ends in a protocol error (finish() != None).
 */
import test from "ava";
import mqttPacket from "mqtt-packet";
import { MqttError } from "../../src/mqtt/constants";
import { DecodeStatus, MqttDecoder } from "../../src/mqtt/decoder";
import { viewPacket, type PacketView } from "../../src/mqtt/inspect";
import { SeededRandom } from "../../hal/sim/random";
import { comparable, encodeObject } from "./helpers/codec-helpers";

const STREAMS = 110_000;
const CAPACITY = 512;

const random = new SeededRandom(0xf022);

/** A pool of valid packets (of every kind) to splice and mutate. */
function seedPackets(): Uint8Array[] {
  const objects: object[] = [
    { cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, keepalive: 60, clientId: "dev", username: "u", password: new Uint8Array([1, 2]), will: { topic: "w/t", payload: new Uint8Array([9]), qos: 1, retain: true } },
    { cmd: "connack", returnCode: 0, sessionPresent: true },
    { cmd: "connack", returnCode: 5, sessionPresent: false },
    { cmd: "publish", topic: "v1/wudun/pk/dev/streaming_overdemand/sync/command", payload: new TextEncoder().encode('{"mid":"1"}'), qos: 1, messageId: 7, retain: false, dup: false },
    { cmd: "publish", topic: "a/b", payload: new Uint8Array(0), qos: 0, retain: true, dup: false },
    { cmd: "publish", topic: "é/€", payload: new Uint8Array(300).fill(0x41), qos: 2, messageId: 65535, retain: false, dup: true },
    { cmd: "puback", messageId: 1 },
    { cmd: "pubrec", messageId: 2 },
    { cmd: "pubrel", messageId: 3 },
    { cmd: "pubcomp", messageId: 4 },
    { cmd: "subscribe", messageId: 5, subscriptions: [{ topic: "a/+/c", qos: 1 }, { topic: "#", qos: 0 }] },
    { cmd: "suback", messageId: 5, granted: [0, 1, 128] },
    { cmd: "unsubscribe", messageId: 6, unsubscriptions: ["a/+/c"] },
    { cmd: "unsuback", messageId: 6 },
    { cmd: "pingreq" },
    { cmd: "pingresp" },
    { cmd: "disconnect" },
  ];
  return objects.map((object) => encodeObject(object));
}

function makeStream(pool: Uint8Array[]): Uint8Array {
  if (random.nextInt(3) === 0) {
    // Pure noise, sometimes biased towards plausible first bytes.
    const out = new Uint8Array(1 + random.nextInt(200));
    random.fill(out, 0, out.length);
    if (random.nextInt(2) === 0) out[0] = (random.nextInt(16) << 4) | (random.nextInt(2) ? 0 : 2);
    if (random.nextInt(2) === 0 && out.length > 1) out[1] = random.nextInt(out.length);
    return out;
  }
  const parts: number[] = [];
  for (let i = 1 + random.nextInt(4); i > 0; i--) parts.push(...pool[random.nextInt(pool.length)]);
  const mutations = random.nextInt(4);
  for (let m = 0; m < mutations && parts.length > 0; m++) {
    const at = random.nextInt(parts.length);
    switch (random.nextInt(6)) {
      case 0:
        parts[at] ^= 1 << random.nextInt(8);
        break;
      case 1:
        parts[at] = random.nextInt(256);
        break;
      case 2:
        parts.splice(at, 1);
        break;
      case 3:
        parts.splice(at, 0, random.nextInt(256));
        break;
      case 4:
        parts.length = at;
        break;
      case 5:
        parts[at] = pick([0x00, 0x7f, 0x80, 0xff, 0xc0, 0xed, 0x23, 0x2b]);
        break;
    }
  }
  return new Uint8Array(parts);
}

function pick<T>(items: readonly T[]): T {
  return items[random.nextInt(items.length)];
}

function reparse(bytes: Uint8Array): PacketView[] | Error {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: PacketView[] = [];
  let failure: Error | null = null;
  parser.on("packet", (packet) => packets.push(packet as unknown as PacketView));
  parser.on("error", (error: Error) => (failure ??= error));
  parser.parse(Buffer.from(bytes));
  return failure ?? packets;
}

test(`${STREAMS} random and mutated streams: no exception, each ends clean-and-verified or in a protocol error`, (t) => {
  const pool = seedPackets();
  const decoder = new MqttDecoder(CAPACITY);
  const errors = new Map<number, number>();
  let clean = 0;
  let packets = 0;
  let crossChecked = 0;
  for (let s = 0; s < STREAMS; s++) {
    const stream = makeStream(pool);
    decoder.reset();
    const views: PacketView[] = [];
    let position = 0;
    let status: DecodeStatus = DecodeStatus.NeedMore;
    try {
      while (position < stream.length && status !== DecodeStatus.Error) {
        position += decoder.feed(stream, position, Math.min(stream.length - position, 1 + random.nextInt(40)));
        while ((status = decoder.next()) === DecodeStatus.Packet) views.push(viewPacket(decoder.packet));
      }
    } catch (error) {
      t.fail(`stream ${s} threw ${String(error)}: ${Buffer.from(stream).toString("hex")}`);
      return;
    }
    const outcome = decoder.finish();
    if (outcome !== MqttError.None) {
      errors.set(outcome, (errors.get(outcome) ?? 0) + 1);
      t.true(decoder.describeError().length > 0);
      continue;
    }
    // Accepted: the whole stream was packets; each one must survive our encoder and agree with mqtt-packet.
    clean++;
    packets += views.length;
    for (const view of views) {
      const again = new MqttDecoder(CAPACITY);
      const bytes = encodeObject(view, CAPACITY);
      again.feed(bytes, 0, bytes.length);
      if (again.next() !== DecodeStatus.Packet) {
        t.fail(`stream ${s}: re-encoded ${view.cmd} does not decode: ${again.describeError()}`);
        return;
      }
      const keys = Object.keys(view).filter((key) => key !== "length");
      if (JSON.stringify(comparable(viewPacket(again.packet), keys)) !== JSON.stringify(comparable(view, keys))) {
        t.fail(`stream ${s}: ${view.cmd} changed in a round trip`);
        return;
      }
    }
    if (clean % 4 === 0) {
      const theirs = reparse(stream);
      if (theirs instanceof Error) {
        t.fail(`stream ${s}: we accepted what mqtt-packet refuses (${theirs.message}): ${Buffer.from(stream).toString("hex")}`);
        return;
      }
      t.is(theirs.length, views.length, `stream ${s}`);
      for (let i = 0; i < views.length; i++) {
        const keys = Object.keys(views[i]).filter((key) => key !== "length");
        t.deepEqual(comparable(theirs[i], keys), comparable(views[i], keys), `stream ${s} packet ${i}`);
      }
      crossChecked++;
    }
  }
  t.log(`clean streams ${clean} (${packets} packets, ${crossChecked} cross-checked with mqtt-packet); errors by kind: ${JSON.stringify(Object.fromEntries(errors))}`);
  t.true(clean > 1000, "the mutations should leave some streams valid");
  // The fuzzer reaches the interesting refusals, not only one kind of garbage.
  for (const kind of [MqttError.PacketTooLarge, MqttError.MalformedLength, MqttError.ReservedType, MqttError.BadFlags, MqttError.BadUtf8, MqttError.BadTopic, MqttError.Truncated, MqttError.FieldOverrun]) {
    t.true((errors.get(kind) ?? 0) > 0, `no stream ended in error ${kind}`);
  }
});
