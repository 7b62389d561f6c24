/**
 * MQTT figures: XS steps to decode / encode a PUBLISH with a 1 KiB payload, heap slots per 1000 packets through the
 * codec (target 0: payloads are handed over as views) and per 1000 session round trips, and Node decode throughput
 * against mqtt-packet on the same byte stream.
 */
import mqttPacket from "mqtt-packet";
import { DecodeStatus, MqttDecoder } from "../src/mqtt/decoder";
import { encodePublishText } from "../src/mqtt/encoder";
import { startXsWithEntry } from "../test/helpers/xs";

const TOPIC = "v1/wudun/pk-demo/GW-0001/streaming_overdemand/sync/command";

function stream(count: number): Buffer {
  const payload = new Uint8Array(1024).map((_, i) => 32 + (i % 90));
  const one = new Uint8Array(1200);
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const n = encodePublishText(one, 0, TOPIC, payload, 0, payload.length, 1, false, false, (i % 65535) + 1);
    parts.push(Buffer.from(one.subarray(0, n)));
  }
  return Buffer.concat(parts);
}

/** Packets per ms decoding `bytes` fed in 16 KiB reads (what a socket hands over). */
function oursPerMs(bytes: Buffer): number {
  const decoder = new MqttDecoder(8192);
  const started = performance.now();
  let packets = 0;
  let position = 0;
  while (position < bytes.length) {
    const at = decoder.prepareWrite();
    const n = Math.min(decoder.writeSpace, 16384, bytes.length - position);
    decoder.buffer.set(bytes.subarray(position, position + n), at);
    decoder.commit(n);
    position += n;
    while (decoder.next() === DecodeStatus.Packet) packets++;
  }
  const elapsed = performance.now() - started;
  if (packets === 0 || decoder.error !== 0) throw new Error("bench: our decoder failed");
  return packets / elapsed;
}

function theirsPerMs(bytes: Buffer): number {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let packets = 0;
  parser.on("packet", () => packets++);
  const started = performance.now();
  for (let position = 0; position < bytes.length; position += 16384) parser.parse(bytes.subarray(position, Math.min(position + 16384, bytes.length)));
  const elapsed = performance.now() - started;
  if (packets === 0) throw new Error("bench: mqtt-packet parsed nothing");
  return packets / elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export default async function mqttBench(): Promise<Record<string, number>> {
  const { xs } = await startXsWithEntry("test/xs/mqtt-entry.ts");
  let figures: Record<string, number>;
  try {
    await xs.run("mqttXs.codec(100)");
    const decode = await xs.measure("mqttXs.decode(0)", "mqttXs.decode(1000)");
    const encode = await xs.measure("mqttXs.encode(0)", "mqttXs.encode(1000)");
    const encodeRange = await xs.measure("mqttXs.encodeRange(0)", "mqttXs.encodeRange(1000)");
    const codec = await xs.measure("mqttXs.codec(0)", "mqttXs.codec(1000)");
    await xs.run("mqttXs.connect()");
    await xs.run("mqttXs.roundTrips(100)");
    const session = await xs.measure("mqttXs.roundTrips(0)", "mqttXs.roundTrips(1000)");
    const sha = await xs.measure("mqttXs.hash(0)", "mqttXs.hash(100)");
    figures = {
      xs_steps_decode_publish_1k: decode.steps / 1000,
      xs_steps_encode_publish_1k: encode.steps / 1000,
      xs_steps_encode_publish_1k_payload_range: encodeRange.steps / 1000,
      xs_heap_slots_per_1000_packets: codec.heapSlots,
      xs_heap_slots_per_1000_session_round_trips: session.heapSlots,
      xs_heap_slots_per_100_sha256_1k: sha.heapSlots,
    };
  } finally {
    await xs.close();
  }
  const bytes = stream(20_000);
  oursPerMs(bytes);
  theirsPerMs(bytes);
  const ratios: number[] = [];
  for (let run = 0; run < 3; run++) ratios.push(oursPerMs(bytes) / theirsPerMs(bytes));
  figures.node_decode_ratio_vs_mqtt_packet = Math.round(median(ratios) * 100) / 100;
  return figures;
}
