/**
 * The topic router: every MQTT topic the gateway uses, built once from the device identity.
 *
 * Three families (docs/mqtt.md lists every topic):
 * - Strategy (spec 000): `${PREFIX}/streaming_overdemand/<action>/{command|result|post}`, where PREFIX is
 *   `v1/wudun/${PRODUCT_KEY}/${DEVICE}` or `v1/user/${TENANT}/${DEVICE}` (config device.topicScheme).
 * - Thing (spec 004): `/sys/${ProductID}/${HardwareID}/thing/...` (ProductID = productKey, HardwareID = deviceName).
 * - Schedule (spec 003 names no topics): `${PREFIX}/schedule/{command|result}` and `${PREFIX}/schedule/list/post`,
 *   in the spec-000 style. Plus Status: `${PREFIX}/status/post`, the retained online/offline message and will.
 * Every template can be overridden by route name (`templates`), and an empty template disables the route.
 *
 * Incoming topics are matched straight from the receive buffer (no string is made); a publish writes its topic's
 * bytes into the packet. Unknown topics are counted.
 *
 * Memory: the device's XS heaps are fixed, so the router holds no string or byte copy per topic. A topic is a head
 * and a tail: the head is one of the few resolved prefixes (`${PREFIX}`, `/sys/${ProductID}/${HardwareID}/thing`),
 * held once as bytes and shared by every route that starts with it; the tail is the rest of the route's template,
 * read from the frozen route table (module data: in flash on the device, no RAM). Route names, families and
 * replies are read from those tables too. Only a route whose template cannot be split that way (an override, a
 * placeholder after the start, a non-ASCII tail) holds its whole resolved topic as bytes. Topic strings are made
 * on demand (tests, logs, the will at each connect).
 */
import { ConfigError } from "../config/gateway-config";
import type { Counters } from "../core/counters";
import { MqttError } from "../mqtt/constants";
import type { FilterSource, TopicSource } from "../mqtt/encoder";
import { checkTopicName, readUtf8, utf8Length, writeUtf8 } from "../mqtt/utf8";
import { deepFreeze } from "../core/freeze";

export const RouteFamily = deepFreeze({ Strategy: 0, Thing: 1, Schedule: 2, Status: 3, Extra: 4 } as const);
export type RouteFamily = (typeof RouteFamily)[keyof typeof RouteFamily];
export const FAMILY_NAMES = deepFreeze(["strategy", "thing", "schedule", "status", "extra"]);

/** Downlink routes (what the gateway subscribes to). Values index the router's incoming table. */
export const InRoute = deepFreeze({
  OverdemandSyncCommand: 0,
  OverdemandCreateCommand: 1,
  OverdemandUpdateCommand: 2,
  OverdemandDeleteCommand: 3,
  OverdemandUpdateAllCommand: 4,
  ThingPropertySet: 5,
  ThingDesiredGetReply: 6,
  ThingDesiredDeleteReply: 7,
  ThingPropertyPostReply: 8,
  ScheduleCommand: 9,
} as const);

/** Uplink routes. Values index the router's outgoing table. */
export const OutRoute = deepFreeze({
  OverdemandListPost: 0,
  OverdemandSyncResult: 1,
  OverdemandCreateResult: 2,
  OverdemandUpdateResult: 3,
  OverdemandDeleteResult: 4,
  OverdemandUpdateAllResult: 5,
  ThingPropertySetReply: 6,
  ThingDesiredGet: 7,
  ThingDesiredDelete: 8,
  ThingPropertyPost: 9,
  ScheduleResult: 10,
  ScheduleListPost: 11,
  Status: 12,
  ScheduleEventPost: 13,
  ReportPost: 14,
} as const);

export interface RouteDefinition {
  /** Unique name, also the key for template overrides (e.g. "schedule_command"). */
  name: string;
  family: RouteFamily;
  /** Topic with placeholders ${PREFIX} ${PRODUCT_KEY} ${DEVICE} ${TENANT} ${ProductID} ${HardwareID}; "" disables. */
  template: string;
  /** Outgoing route that answers this incoming one, by name. */
  reply?: string;
}

const P = "${PREFIX}";
const SYS = "/sys/${ProductID}/${HardwareID}/thing";

/** Template starts whose resolved bytes are held once and shared by every route that starts with them. */
const SHARED_HEADS = deepFreeze([P, SYS]);
const NO_ROUTES: readonly RouteDefinition[] = deepFreeze([]);

/** In InRoute order. */
export const INCOMING_ROUTES: readonly RouteDefinition[] = deepFreeze([
  { name: "overdemand_sync_command", family: RouteFamily.Strategy, template: `${P}/streaming_overdemand/sync/command`, reply: "overdemand_sync_result" },
  { name: "overdemand_create_command", family: RouteFamily.Strategy, template: `${P}/streaming_overdemand/create/command`, reply: "overdemand_create_result" },
  { name: "overdemand_update_command", family: RouteFamily.Strategy, template: `${P}/streaming_overdemand/update/command`, reply: "overdemand_update_result" },
  { name: "overdemand_delete_command", family: RouteFamily.Strategy, template: `${P}/streaming_overdemand/delete/command`, reply: "overdemand_delete_result" },
  { name: "overdemand_update_all_command", family: RouteFamily.Strategy, template: `${P}/streaming_overdemand/update_all/command`, reply: "overdemand_update_all_result" },
  { name: "thing_property_set", family: RouteFamily.Thing, template: `${SYS}/service/property/set`, reply: "thing_property_set_reply" },
  { name: "thing_desired_get_reply", family: RouteFamily.Thing, template: `${SYS}/property/desired/get_reply` },
  { name: "thing_desired_delete_reply", family: RouteFamily.Thing, template: `${SYS}/property/desired/delete_reply` },
  { name: "thing_property_post_reply", family: RouteFamily.Thing, template: `${SYS}/event/property/post_reply` },
  { name: "schedule_command", family: RouteFamily.Schedule, template: `${P}/schedule/command`, reply: "schedule_result" },
]);

/** In OutRoute order. */
export const OUTGOING_ROUTES: readonly RouteDefinition[] = deepFreeze([
  { name: "overdemand_list_post", family: RouteFamily.Strategy, template: `${P}/streaming_overdemand/list/post` },
  { name: "overdemand_sync_result", family: RouteFamily.Strategy, template: `${P}/streaming_overdemand/sync/result` },
  { name: "overdemand_create_result", family: RouteFamily.Strategy, template: `${P}/streaming_overdemand/create/result` },
  { name: "overdemand_update_result", family: RouteFamily.Strategy, template: `${P}/streaming_overdemand/update/result` },
  { name: "overdemand_delete_result", family: RouteFamily.Strategy, template: `${P}/streaming_overdemand/delete/result` },
  { name: "overdemand_update_all_result", family: RouteFamily.Strategy, template: `${P}/streaming_overdemand/update_all/result` },
  { name: "thing_property_set_reply", family: RouteFamily.Thing, template: `${SYS}/service/property/set_reply` },
  { name: "thing_desired_get", family: RouteFamily.Thing, template: `${SYS}/property/desired/get` },
  { name: "thing_desired_delete", family: RouteFamily.Thing, template: `${SYS}/property/desired/delete` },
  { name: "thing_property_post", family: RouteFamily.Thing, template: `${SYS}/event/property/post` },
  { name: "schedule_result", family: RouteFamily.Schedule, template: `${P}/schedule/result` },
  { name: "schedule_list_post", family: RouteFamily.Schedule, template: `${P}/schedule/list/post` },
  { name: "status", family: RouteFamily.Status, template: `${P}/status/post` },
  { name: "schedule_event_post", family: RouteFamily.Schedule, template: `${P}/schedule/event/post` },
  { name: "report_post", family: RouteFamily.Status, template: `${P}/report/post` },
]);

export interface TopicIdentity {
  productKey: string;
  deviceName: string;
  tenant: string;
  topicScheme: "wudun" | "user";
}

export interface TopicRouterOptions {
  /** Template overrides by route name (in or out); "" disables a route. */
  templates?: Record<string, string>;
  /** More routes (e.g. OTA topics of a later issue), appended after the built-in ones in each table. */
  extraIncoming?: readonly RouteDefinition[];
  extraOutgoing?: readonly RouteDefinition[];
  /** Where `mqtt_unknown_topics` is counted (the gateway's counters). */
  counters?: Counters;
}

/** Per route, in `table` (incoming routes first, then outgoing): its head in `heads`, its tail, its length. */
const HEAD_AT = 0;
const HEAD_LENGTH = 1;
/** Where the tail starts in the route's own template; the tail is LENGTH - HEAD_LENGTH bytes (0: no tail). */
const TAIL_AT = 2;
/** UTF-8 bytes of the whole topic; 0: the route is disabled. */
const LENGTH = 3;
const FIELDS = 4;

/**
 * Called as `charCodeAt.call(template, i)`: on XS, `template.charCodeAt(i)` (any property of a primitive string,
 * `length` included) makes a String wrapper, two heap slots per call; through `call` nothing is allocated, so a
 * publish or a match reads the tails without allocating.
 */
const charCodeAt = String.prototype.charCodeAt;

/** The tail of `template` from `from` can be written and matched char by char: no placeholder, ASCII only. */
function literalTail(template: string, from: number): boolean {
  if (template.indexOf("${", from) >= 0) return false;
  for (let i = from; i < template.length; i++) if (template.charCodeAt(i) >= 0x80) return false;
  return true;
}

export class TopicRouter implements TopicSource, FilterSource {
  /** The spec-000 prefix of this device (no trailing slash). */
  readonly prefix: string;
  readonly incomingCount: number;
  readonly outgoingCount: number;
  /** Enabled incoming routes: the filters subscribed to (FilterSource), in route order. */
  readonly filterCount: number;
  private readonly extraIncoming: readonly RouteDefinition[];
  private readonly extraOutgoing: readonly RouteDefinition[];
  /** The shared heads' bytes, then the whole topics of routes that cannot share one. */
  private readonly heads: Uint8Array;
  /** FIELDS numbers per route, in the narrowest array that holds them (bytes for any usual configuration). */
  private readonly table: Uint8Array | Uint16Array | Int32Array;
  private readonly counters: Counters | undefined;
  private readonly unknownCounter: number;
  /** Messages on topics no route knows (counted, then ignored by the session). */
  unknownTopics = 0;

  constructor(identity: TopicIdentity, options: TopicRouterOptions = {}) {
    for (const key of ["productKey", "deviceName", "tenant"] as const) {
      const value = identity[key];
      if (value.length === 0 && !(key === "tenant" && identity.topicScheme === "wudun")) throw new ConfigError(`device.${key}`, "must not be empty for the MQTT topics");
      if (/[+#/]/.test(value) || utf8Length(value) < 0) throw new ConfigError(`device.${key}`, `"${value}" cannot be a topic level (no "/", "+", "#")`);
    }
    this.prefix = identity.topicScheme === "user" ? `v1/user/${identity.tenant}/${identity.deviceName}` : `v1/wudun/${identity.productKey}/${identity.deviceName}`;
    const values: Record<string, string> = {
      PREFIX: this.prefix,
      PRODUCT_KEY: identity.productKey,
      DEVICE: identity.deviceName,
      TENANT: identity.tenant,
      ProductID: identity.productKey,
      HardwareID: identity.deviceName,
    };
    // The caller's route lists are referenced, not copied (the firmware's are frozen module data).
    this.extraIncoming = options.extraIncoming ?? NO_ROUTES;
    this.extraOutgoing = options.extraOutgoing ?? NO_ROUTES;
    this.incomingCount = INCOMING_ROUTES.length + this.extraIncoming.length;
    this.outgoingCount = OUTGOING_ROUTES.length + this.extraOutgoing.length;
    const routes = this.incomingCount + this.outgoingCount;
    // Looked up only when given: on XS, reading a property named by a string that is not yet a key adds the key
    // to the machine's fixed key table.
    const templates = options.templates;

    // Boot-time checks by plain loops (a few hundred comparisons): a Set would leave its tables to the collector.
    for (let r = 1; r < routes; r++) {
      const name = this.definition(r).name;
      for (let q = 0; q < r; q++) if (this.definition(q).name === name) throw new ConfigError("mqtt.topics", "two routes share a name");
    }
    for (const name of Object.keys(templates ?? {})) {
      if (this.incomingRouteByName(name) < 0 && this.outgoingRouteByName(name) < 0) throw new ConfigError(`mqtt.topics.${name}`, "no route has this name");
    }
    const resolve = (definition: RouteDefinition, template: string): string =>
      // A fresh /g RegExp per call (boot only): a module-level one is preloaded into flash on the device, where
      // `replace` cannot reset its lastIndex and throws.
      template.replace(/\$\{([A-Za-z_]+)\}/g, (whole, key: string) => {
        if (!(key in values)) throw new ConfigError(`mqtt.topics.${definition.name}`, `unknown placeholder ${whole}`);
        return values[key];
      });

    // Plan each route: a shared head and a literal tail, a literal template alone, or its whole resolved topic.
    const plan = new Int32Array(routes * FIELDS);
    const headTexts: string[] = [];
    const sharedAt = [-1, -1];
    const sharedLength = [0, 0];
    let headBytes = 0;
    const addHead = (text: string): number => {
      headTexts.push(text);
      const at = headBytes;
      headBytes += utf8Length(text);
      return at;
    };
    let filters = 0;
    let check = new Uint8Array(64);
    for (let r = 0; r < routes; r++) {
      const definition = this.definition(r);
      const override = templates === undefined ? undefined : templates[definition.name];
      const template = override ?? definition.template;
      const row = r * FIELDS;
      if (template.length === 0) continue;
      if (r < this.incomingCount) filters++;
      // The whole topic, resolved and checked here (boot only, then dropped): the same checks and order as when
      // every topic was kept.
      const topic = resolve(definition, template);
      const topicLength = utf8Length(topic);
      if (topicLength > check.length) check = new Uint8Array(topicLength);
      if (topicLength > 0) writeUtf8(topic, check, 0);
      if (topicLength < 0 || checkTopicName(check, 0, topicLength) !== MqttError.None) {
        throw new ConfigError(`mqtt.topics.${definition.name}`, `"${topic}" is not a valid MQTT topic name (wildcards or bad UTF-8)`);
      }
      let shared = -1;
      if (override === undefined) {
        for (let j = 0; j < SHARED_HEADS.length && shared < 0; j++) {
          if (template.startsWith(SHARED_HEADS[j]) && literalTail(template, SHARED_HEADS[j].length)) shared = j;
        }
      }
      if (shared >= 0) {
        const head = SHARED_HEADS[shared];
        if (sharedAt[shared] < 0) {
          const text = resolve(definition, head);
          sharedAt[shared] = addHead(text);
          sharedLength[shared] = utf8Length(text);
        }
        plan[row + HEAD_AT] = sharedAt[shared];
        plan[row + HEAD_LENGTH] = sharedLength[shared];
        plan[row + TAIL_AT] = head.length;
        plan[row + LENGTH] = plan[row + HEAD_LENGTH] + template.length - head.length;
      } else if (override === undefined && literalTail(template, 0)) {
        plan[row + TAIL_AT] = 0;
        plan[row + LENGTH] = template.length;
      } else {
        plan[row + HEAD_AT] = addHead(topic);
        plan[row + HEAD_LENGTH] = topicLength;
        plan[row + LENGTH] = topicLength;
      }
    }
    this.filterCount = filters;
    this.heads = new Uint8Array(headBytes);
    let at = 0;
    for (const text of headTexts) at = writeUtf8(text, this.heads, at);
    let largest = 0;
    for (let i = 0; i < plan.length; i++) if (plan[i] > largest) largest = plan[i];
    this.table = largest < 0x100 ? new Uint8Array(plan) : largest < 0x10000 ? new Uint16Array(plan) : plan;

    const other = new Uint8Array(check.length);
    for (let r = 1; r < this.incomingCount; r++) {
      const length = this.table[r * FIELDS + LENGTH];
      if (length === 0) continue;
      this.write(r, check, 0);
      for (let q = 0; q < r; q++) {
        if (this.table[q * FIELDS + LENGTH] !== length) continue;
        this.write(q, other, 0);
        let i = 0;
        while (i < length && check[i] === other[i]) i++;
        if (i === length) throw new ConfigError("mqtt.topics", `"${this.topicText(r)}" is used by two incoming routes`);
      }
    }
    for (let r = 0; r < this.incomingCount; r++) {
      const reply = this.definition(r).reply;
      if (reply !== undefined && this.outgoingRouteByName(reply) < 0) throw new ConfigError(`mqtt.topics.${this.definition(r).name}`, `reply route "${reply}" does not exist`);
    }
    this.counters = options.counters;
    this.unknownCounter = options.counters ? options.counters.register("mqtt_unknown_topics") : -1;
  }

  /**
   * The incoming route of a topic given as bytes (e.g. straight from the receive buffer), or -1 (counted).
   * Compares lengths first, then bytes from the end, where this device's topics differ: the tail, then the head.
   */
  match(buffer: Uint8Array, offset: number, length: number): number {
    const table = this.table;
    const heads = this.heads;
    for (let route = 0; route < this.incomingCount; route++) {
      const row = route * FIELDS;
      if (table[row + LENGTH] !== length || length === 0) continue;
      const headLength = table[row + HEAD_LENGTH];
      const tailAt = table[row + TAIL_AT];
      let i = length - 1;
      if (length > headLength) {
        const template = this.definition(route).template;
        const shift = tailAt - headLength;
        while (i >= headLength && charCodeAt.call(template, shift + i) === buffer[offset + i]) i--;
        if (i >= headLength) continue;
      }
      const headAt = table[row + HEAD_AT];
      while (i >= 0 && heads[headAt + i] === buffer[offset + i]) i--;
      if (i < 0) return route;
    }
    this.unknownTopics++;
    if (this.unknownCounter >= 0) this.counters!.add(this.unknownCounter);
    return -1;
  }

  /** Topic filters to subscribe to: every enabled incoming route. Allocates (tests, logs); the session writes them. */
  subscriptions(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.filterCount; i++) out.push(this.incomingTopic(this.filterRoute(i)));
    return out;
  }

  /** The incoming route of filter `index` (the index-th enabled one). */
  filterRoute(index: number): number {
    let seen = -1;
    for (let route = 0; route < this.incomingCount; route++) {
      if (this.table[route * FIELDS + LENGTH] > 0 && ++seen === index) return route;
    }
    return -1;
  }

  filterLength(index: number): number {
    return this.incomingLength(this.filterRoute(index));
  }

  writeFilter(index: number, out: Uint8Array, at: number): void {
    this.write(this.filterRoute(index), out, at);
  }

  incomingName(route: number): string {
    return this.definition(route).name;
  }

  incomingFamily(route: number): RouteFamily {
    return this.definition(route).family;
  }

  /** The topic as a string (allocates: tests, logs). "" for a disabled route. */
  incomingTopic(route: number): string {
    return this.topicText(route);
  }

  /** UTF-8 bytes of an incoming route's topic (0 = disabled or no such route). */
  incomingLength(route: number): number {
    return route >= 0 && route < this.incomingCount ? this.table[route * FIELDS + LENGTH] : 0;
  }

  /** The outgoing route answering an incoming one (e.g. sync/command -> sync/result), or -1. */
  replyRoute(route: number): number {
    const reply = this.definition(route).reply;
    return reply === undefined ? -1 : this.outgoingRouteByName(reply);
  }

  outgoingName(route: number): string {
    return this.definition(this.incomingCount + route).name;
  }

  outgoingFamily(route: number): RouteFamily {
    return this.definition(this.incomingCount + route).family;
  }

  /** The topic as a string (allocates: tests, logs, the will at each connect). "" for a disabled route. */
  outgoingTopic(route: number): string {
    return this.topicText(this.incomingCount + route);
  }

  /** UTF-8 bytes of an outgoing route's topic (0 = disabled or no such route). TopicSource. */
  outgoingLength(route: number): number {
    return route >= 0 && route < this.outgoingCount ? this.table[(this.incomingCount + route) * FIELDS + LENGTH] : 0;
  }

  /** Write an outgoing route's topic bytes at `at` (outgoingLength(route) of them). TopicSource. */
  writeOutgoing(route: number, out: Uint8Array, at: number): void {
    this.write(this.incomingCount + route, out, at);
  }

  incomingRouteByName(name: string): number {
    for (let route = 0; route < this.incomingCount; route++) if (this.definition(route).name === name) return route;
    return -1;
  }

  outgoingRouteByName(name: string): number {
    for (let route = 0; route < this.outgoingCount; route++) if (this.definition(this.incomingCount + route).name === name) return route;
    return -1;
  }

  /** Route `r` of the whole table: incoming routes first, then outgoing; built-in ones before the extras. */
  private definition(r: number): RouteDefinition {
    if (r < this.incomingCount) return r < INCOMING_ROUTES.length ? INCOMING_ROUTES[r] : this.extraIncoming[r - INCOMING_ROUTES.length];
    const o = r - this.incomingCount;
    return o < OUTGOING_ROUTES.length ? OUTGOING_ROUTES[o] : this.extraOutgoing[o - OUTGOING_ROUTES.length];
  }

  /** Write route `r`'s topic at `at`: its head's bytes, then its tail (ASCII: one byte per char). No allocation. */
  private write(r: number, out: Uint8Array, at: number): void {
    const table = this.table;
    const row = r * FIELDS;
    const heads = this.heads;
    const headAt = table[row + HEAD_AT];
    const headLength = table[row + HEAD_LENGTH];
    let p = at;
    for (let i = 0; i < headLength; i++) out[p++] = heads[headAt + i];
    const tailLength = table[row + LENGTH] - headLength;
    if (tailLength === 0) return;
    // The tail runs to the template's end; its length comes from the table (reading `length` would allocate).
    const template = this.definition(r).template;
    const tailAt = table[row + TAIL_AT];
    const tailEnd = tailAt + tailLength;
    for (let i = tailAt; i < tailEnd; i++) out[p++] = charCodeAt.call(template, i);
  }

  private topicText(r: number): string {
    const row = r * FIELDS;
    if (this.table[row + LENGTH] === 0) return "";
    const head = readUtf8(this.heads, this.table[row + HEAD_AT], this.table[row + HEAD_LENGTH]);
    return this.table[row + LENGTH] === this.table[row + HEAD_LENGTH] ? head : head + this.definition(r).template.slice(this.table[row + TAIL_AT]);
  }
}
