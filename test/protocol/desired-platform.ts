/**
 * A scripted spec-004 platform for tests: it keeps desired values with versions the way the cloud does (a version per
 * property, starting at 0 and rising by 1 per desired set, never reused), answers the device's get and delete, records
 * its posts and set replies, and sends sets. Transport-agnostic: `receive` takes what the device published, `send`
 * carries what the platform publishes (a queue in sans-I/O tests, an `mqtt` client against a real broker).
 */
import { desiredTopics, type DesiredTopics } from "../../src/protocol/desired/topics";

export type Json = Record<string, any>;

export interface DesiredEntry {
  value: unknown;
  version: number;
}

export class ScriptedPlatform {
  readonly topics: DesiredTopics;
  readonly desired = new Map<string, DesiredEntry>();
  private readonly lastVersion = new Map<string, number>();
  /** Every message the device published, parsed, in order. */
  readonly received: { topic: string; body: Json }[] = [];
  readonly setReplies: Json[] = [];
  readonly gets: Json[] = [];
  readonly deletes: Json[] = [];
  readonly posts: Json[] = [];
  /** The device's values as last posted. */
  readonly reported: Record<string, unknown> = {};
  /** Get replies are held here instead of sent while true (to interleave other messages before them). */
  holdGetReplies = false;
  readonly heldGetReplies: string[] = [];
  /** Codes the next replies carry (then back to 200). */
  nextGetCode = 200;
  nextDeleteCode = 200;
  private nextSetId = 1000;

  constructor(
    productKey: string,
    deviceName: string,
    private readonly send: (topic: string, payload: string) => void,
  ) {
    this.topics = desiredTopics(productKey, deviceName);
  }

  /** The cloud side of SetDeviceDesiredProperty: store a new version; returns it. */
  setDesired(name: string, value: unknown): number {
    const version = (this.lastVersion.get(name) ?? -1) + 1;
    this.lastVersion.set(name, version);
    this.desired.set(name, { value, version });
    return version;
  }

  /** Send a `thing.service.property.set`; returns its id. */
  sendSet(params: unknown, extra: Json = {}): string {
    const id = String(this.nextSetId++);
    this.sendRaw(JSON.stringify({ id, version: "1.0", params, method: "thing.service.property.set", ...extra }));
    return id;
  }

  /** Push the current desired value of `names` to an online device as a versioned set. */
  pushDesired(...names: string[]): string {
    const params: Json = {};
    for (const name of names) {
      const entry = this.desired.get(name);
      if (!entry) throw new Error(`no desired ${name}`);
      params[name] = { value: entry.value, version: entry.version };
    }
    return this.sendSet(params);
  }

  sendRaw(payload: string): void {
    this.send(this.topics.set, payload);
  }

  releaseGetReplies(): void {
    for (const payload of this.heldGetReplies.splice(0)) this.send(this.topics.desiredGetReply, payload);
  }

  /** What the device published. */
  receive(topic: string, payload: string): void {
    const body = JSON.parse(payload) as Json;
    this.received.push({ topic, body });
    const t = this.topics;
    if (topic === t.setReply) this.setReplies.push(body);
    else if (topic === t.desiredGet) this.onGet(body);
    else if (topic === t.desiredDelete) this.onDelete(body);
    else if (topic === t.propertyPost) {
      this.posts.push(body);
      Object.assign(this.reported, body.params);
      if (body.sys?.ack === 1) this.send(t.propertyPostReply, JSON.stringify({ id: body.id, code: 200, data: {} }));
    } else throw new Error(`platform: unexpected topic ${topic}`);
  }

  private onGet(body: Json): void {
    this.gets.push(body);
    const data: Json = {};
    for (const name of body.params as string[]) {
      const entry = this.desired.get(name);
      if (entry) data[name] = { value: entry.value, version: entry.version };
    }
    const code = this.nextGetCode;
    this.nextGetCode = 200;
    const reply = JSON.stringify(code === 200 ? { id: body.id, code, data } : { id: body.id, code, data: {}, message: "service unavailable" });
    if (this.holdGetReplies) this.heldGetReplies.push(reply);
    else this.send(this.topics.desiredGetReply, reply);
  }

  private onDelete(body: Json): void {
    this.deletes.push(body);
    const code = this.nextDeleteCode;
    this.nextDeleteCode = 200;
    if (code === 200) {
      for (const [name, condition] of Object.entries(body.params as Record<string, { version?: number }>)) {
        const entry = this.desired.get(name);
        // Conditional delete: only the named version goes; `{}` deletes whatever is there.
        if (entry && (condition.version === undefined || condition.version === entry.version)) this.desired.delete(name);
      }
    }
    if (body.sys?.ack === 1) this.send(this.topics.desiredDeleteReply, JSON.stringify({ id: body.id, code, data: {} }));
  }
}
