/**
 * A small MQTT 3.1.1 broker on the simulated network, for deterministic session tests. It parses and generates
 * with mqtt-packet (an independent implementation, so our codec's bugs cannot hide behind a shared one), keeps
 * persistent sessions (subscriptions and unacknowledged QoS 1/2 deliveries, redelivered with DUP on reconnect),
 * and has knobs for faults: withhold PUBACKs, ignore PINGREQs, refuse with a CONNACK code, fail a subscription,
 * send raw bytes.
 */
import mqttPacket from "mqtt-packet";
import type { SimConnection, SimNetwork } from "../../../hal/sim/tcp";

export interface ReceivedPublish {
  topic: string;
  payload: Buffer;
  qos: number;
  dup: boolean;
  retain: boolean;
  messageId?: number;
  atMs: number;
}

interface ClientSession {
  clientId: string;
  subscriptions: Map<string, number>;
  /** Deliveries to the client awaiting PUBACK/PUBREC, by message id. */
  unacked: Map<number, { topic: string; payload: Buffer; qos: number }>;
  nextId: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Packet = any;

export class SimBroker {
  readonly received: ReceivedPublish[] = [];
  /** Every packet from clients, in order: for assertions on acks, pings, subscribes. */
  readonly log: { cmd: string; packet: Packet; atMs: number }[] = [];
  readonly retained = new Map<string, Buffer>();
  readonly sessions = new Map<string, ClientSession>();
  readonly connects: Packet[] = [];
  /** Will messages published because a client vanished. */
  readonly willsPublished: { topic: string; payload: Buffer }[] = [];
  connackCode = 0;
  /** Do not answer PUBLISH with PUBACK (the client's window fills). */
  withholdPubacks = false;
  /** Do not answer PINGREQ. */
  ignorePings = false;
  /** Topic filters to refuse with 0x80. */
  readonly refuseFilters = new Set<string>();
  private readonly live = new Map<SimConnection, { session: ClientSession | null; parser: ReturnType<typeof mqttPacket.parser>; will: Packet | null }>();
  private withheld: { connection: SimConnection; messageId: number }[] = [];

  constructor(
    private readonly network: SimNetwork,
    readonly host = "broker.sim",
    readonly port = 1883,
  ) {
    network.listen(host, port, (connection) => this.accept(connection));
  }

  private now(): number {
    return this.network.loop.monotonicMs();
  }

  get connectionCount(): number {
    return this.live.size;
  }

  /** The current connections (most recent last). */
  get connections(): SimConnection[] {
    return [...this.live.keys()];
  }

  private accept(connection: SimConnection) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const state = { session: null as ClientSession | null, parser, will: null as Packet | null };
    this.live.set(connection, state);
    parser.on("packet", (packet: Packet) => this.onPacket(connection, packet));
    parser.on("error", () => {
      connection.reset();
      this.live.delete(connection);
    });
    return {
      onData: (_c: SimConnection, bytes: Uint8Array) => parser.parse(Buffer.from(bytes)),
      onClose: () => this.vanished(connection),
    };
  }

  private vanished(connection: SimConnection): void {
    const state = this.live.get(connection);
    this.live.delete(connection);
    if (state?.will) {
      this.willsPublished.push({ topic: state.will.topic, payload: Buffer.from(state.will.payload) });
      if (state.will.retain) this.retained.set(state.will.topic, Buffer.from(state.will.payload));
    }
  }

  private send(connection: SimConnection, packet: Packet): void {
    connection.send(new Uint8Array(mqttPacket.generate(packet)));
  }

  private onPacket(connection: SimConnection, packet: Packet): void {
    const state = this.live.get(connection);
    if (!state) return;
    this.log.push({ cmd: packet.cmd, packet, atMs: this.now() });
    switch (packet.cmd) {
      case "connect": {
        this.connects.push(packet);
        if (this.connackCode !== 0) {
          this.send(connection, { cmd: "connack", returnCode: this.connackCode, sessionPresent: false });
          // SimConnection.end() discards bytes not yet delivered: close once the CONNACK is through.
          const closer = this.network.loop.createTimer(() => connection.end());
          closer.start(this.network.latencyMs * 2);
          return;
        }
        let session = this.sessions.get(packet.clientId);
        const present = !!session && !packet.clean;
        if (!session || packet.clean) {
          session = { clientId: packet.clientId, subscriptions: new Map(), unacked: new Map(), nextId: 1 };
          this.sessions.set(packet.clientId, session);
        }
        state.session = session;
        state.will = packet.will ?? null;
        this.send(connection, { cmd: "connack", returnCode: 0, sessionPresent: present });
        // Redeliver what the client never acknowledged, in order, with DUP.
        for (const [messageId, message] of session.unacked) {
          this.send(connection, { cmd: "publish", topic: message.topic, payload: message.payload, qos: message.qos, dup: true, retain: false, messageId });
        }
        return;
      }
      case "publish": {
        this.received.push({ topic: packet.topic, payload: Buffer.from(packet.payload), qos: packet.qos, dup: packet.dup, retain: packet.retain, messageId: packet.messageId, atMs: this.now() });
        if (packet.retain) this.retained.set(packet.topic, Buffer.from(packet.payload));
        if (packet.qos === 1) {
          if (this.withholdPubacks) this.withheld.push({ connection, messageId: packet.messageId });
          else this.send(connection, { cmd: "puback", messageId: packet.messageId });
        }
        return;
      }
      case "puback":
      case "pubcomp":
        state.session?.unacked.delete(packet.messageId);
        return;
      case "pubrec":
        this.send(connection, { cmd: "pubrel", messageId: packet.messageId });
        return;
      case "subscribe": {
        const granted = packet.subscriptions.map((s: { topic: string; qos: number }) => {
          if (this.refuseFilters.has(s.topic)) return 128;
          state.session?.subscriptions.set(s.topic, s.qos);
          return s.qos;
        });
        this.send(connection, { cmd: "suback", messageId: packet.messageId, granted });
        return;
      }
      case "pingreq":
        if (!this.ignorePings) this.send(connection, { cmd: "pingresp" });
        return;
      case "disconnect":
        state.will = null;
        connection.end();
        this.live.delete(connection);
        return;
    }
  }

  /** QoS 1/2 deliveries to any session not acknowledged yet. */
  get unackedDeliveries(): number {
    let n = 0;
    for (const session of this.sessions.values()) n += session.unacked.size;
    return n;
  }

  /** Release withheld PUBACKs (on connections still open). */
  releasePubacks(): void {
    const withheld = this.withheld;
    this.withheld = [];
    for (const { connection, messageId } of withheld) if (this.live.has(connection)) this.send(connection, { cmd: "puback", messageId });
  }

  /**
   * Deliver a message to the client session subscribed to `topic` (exact filters only: the gateway subscribes to
   * exact topics). QoS 1/2 deliveries stay unacknowledged until the client acks, and come again after reconnects.
   */
  publish(topic: string, payload: string | Buffer, qos: number, options: { clientId?: string; messageId?: number; dup?: boolean } = {}): number {
    const body = Buffer.from(payload);
    let messageId = 0;
    for (const session of this.sessions.values()) {
      if (options.clientId && session.clientId !== options.clientId) continue;
      if (!session.subscriptions.has(topic)) continue;
      if (qos > 0) {
        messageId = options.messageId ?? session.nextId++;
        if (session.nextId > 65535) session.nextId = 1;
        session.unacked.set(messageId, { topic, payload: body, qos });
      }
      for (const [connection, state] of this.live) {
        if (state.session === session) this.send(connection, { cmd: "publish", topic, payload: body, qos, dup: !!options.dup, retain: false, messageId: qos > 0 ? messageId : undefined });
      }
    }
    return messageId;
  }

  /** Send raw bytes to every live connection (garbage, oversize packets). */
  sendRaw(bytes: Uint8Array): void {
    for (const connection of this.live.keys()) connection.send(bytes);
  }

  /** Packets of one kind from clients. */
  packets(cmd: string): Packet[] {
    return this.log.filter((entry) => entry.cmd === cmd).map((entry) => entry.packet);
  }

  /** The broker process dies: every link resets, sessions are kept (mosquitto with persistence). */
  crash(): void {
    const connections = [...this.live.keys()];
    // Forget them first: a crashed broker publishes no wills.
    this.live.clear();
    this.withheld = [];
    for (const connection of connections) connection.reset();
  }
}
