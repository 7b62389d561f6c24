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
 * Incoming topics are matched against pre-encoded bytes straight from the receive buffer (no string is made);
 * outgoing topics are pre-encoded so a publish copies bytes. Unknown topics are counted.
 */
import { ConfigError } from "../config/gateway-config";
import type { Counters } from "../core/counters";
import { MqttError } from "../mqtt/constants";
import { checkTopicName, utf8Length, writeUtf8 } from "../mqtt/utf8";
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

/** Topic bytes of one table, back to back, with offsets: built once, read per message. */
class TopicTable {
  readonly names: string[] = [];
  readonly families: number[] = [];
  readonly topics: string[] = [];
  readonly bytes: Uint8Array;
  readonly offsets: Int32Array;
  readonly lengths: Int32Array;

  constructor(definitions: readonly RouteDefinition[], resolve: (definition: RouteDefinition) => string) {
    let total = 0;
    for (const definition of definitions) {
      const topic = resolve(definition);
      this.names.push(definition.name);
      this.families.push(definition.family);
      this.topics.push(topic);
      total += utf8Length(topic);
    }
    this.bytes = new Uint8Array(total);
    this.offsets = new Int32Array(definitions.length);
    this.lengths = new Int32Array(definitions.length);
    let at = 0;
    for (let i = 0; i < this.topics.length; i++) {
      this.offsets[i] = at;
      this.lengths[i] = utf8Length(this.topics[i]);
      at = writeUtf8(this.topics[i], this.bytes, at);
      if (this.lengths[i] > 0 && checkTopicName(this.bytes, this.offsets[i], this.lengths[i]) !== MqttError.None) {
        throw new ConfigError(`mqtt.topics.${this.names[i]}`, `"${this.topics[i]}" is not a valid MQTT topic name (wildcards or bad UTF-8)`);
      }
    }
  }

  get count(): number {
    return this.topics.length;
  }
}

export class TopicRouter {
  /** The spec-000 prefix of this device (no trailing slash). */
  readonly prefix: string;
  private readonly incoming: TopicTable;
  private readonly outgoing: TopicTable;
  private readonly replies: Int32Array;
  private readonly unknownCounter: number;
  /** Messages on topics no route knows (counted, then ignored by the session). */
  unknownTopics = 0;

  constructor(
    identity: TopicIdentity,
    private readonly options: TopicRouterOptions = {},
  ) {
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
    const inDefinitions = [...INCOMING_ROUTES, ...(options.extraIncoming ?? [])];
    const outDefinitions = [...OUTGOING_ROUTES, ...(options.extraOutgoing ?? [])];
    const known = new Set([...inDefinitions, ...outDefinitions].map((definition) => definition.name));
    if (known.size !== inDefinitions.length + outDefinitions.length) throw new ConfigError("mqtt.topics", "two routes share a name");
    for (const name of Object.keys(options.templates ?? {})) {
      if (!known.has(name)) throw new ConfigError(`mqtt.topics.${name}`, "no route has this name");
    }
    const resolve = (definition: RouteDefinition): string => {
      const template = options.templates?.[definition.name] ?? definition.template;
      // A fresh /g RegExp per route (boot only): a module-level one is preloaded into flash on the device, where
      // `replace` cannot reset its lastIndex and throws.
      return template.replace(/\$\{([A-Za-z_]+)\}/g, (whole, key: string) => {
        if (!(key in values)) throw new ConfigError(`mqtt.topics.${definition.name}`, `unknown placeholder ${whole}`);
        return values[key];
      });
    };
    this.incoming = new TopicTable(inDefinitions, resolve);
    this.outgoing = new TopicTable(outDefinitions, resolve);
    const seen = new Set<string>();
    for (const topic of this.incoming.topics) {
      if (topic.length > 0 && seen.has(topic)) throw new ConfigError("mqtt.topics", `"${topic}" is used by two incoming routes`);
      seen.add(topic);
    }
    this.replies = new Int32Array(inDefinitions.length).fill(-1);
    for (let i = 0; i < inDefinitions.length; i++) {
      const reply = inDefinitions[i].reply;
      if (reply !== undefined) {
        const index = this.outgoing.names.indexOf(reply);
        if (index < 0) throw new ConfigError(`mqtt.topics.${inDefinitions[i].name}`, `reply route "${reply}" does not exist`);
        this.replies[i] = index;
      }
    }
    this.unknownCounter = options.counters ? options.counters.register("mqtt_unknown_topics") : -1;
  }

  get incomingCount(): number {
    return this.incoming.count;
  }

  get outgoingCount(): number {
    return this.outgoing.count;
  }

  /**
   * The incoming route of a topic given as bytes (e.g. straight from the receive buffer), or -1 (counted).
   * Compares lengths first, then bytes from the end, where this device's topics differ.
   */
  match(buffer: Uint8Array, offset: number, length: number): number {
    const table = this.incoming;
    const bytes = table.bytes;
    for (let route = 0; route < table.lengths.length; route++) {
      if (table.lengths[route] !== length || length === 0) continue;
      const start = table.offsets[route];
      let i = length - 1;
      while (i >= 0 && bytes[start + i] === buffer[offset + i]) i--;
      if (i < 0) return route;
    }
    this.unknownTopics++;
    if (this.unknownCounter >= 0) this.options.counters!.add(this.unknownCounter);
    return -1;
  }

  /** Topic filters to subscribe to: every enabled incoming route. */
  subscriptions(): string[] {
    return this.incoming.topics.filter((topic) => topic.length > 0);
  }

  incomingName(route: number): string {
    return this.incoming.names[route];
  }

  incomingFamily(route: number): RouteFamily {
    return this.incoming.families[route] as RouteFamily;
  }

  incomingTopic(route: number): string {
    return this.incoming.topics[route];
  }

  /** The outgoing route answering an incoming one (e.g. sync/command -> sync/result), or -1. */
  replyRoute(route: number): number {
    return this.replies[route];
  }

  outgoingName(route: number): string {
    return this.outgoing.names[route];
  }

  outgoingFamily(route: number): RouteFamily {
    return this.outgoing.families[route] as RouteFamily;
  }

  outgoingTopic(route: number): string {
    return this.outgoing.topics[route];
  }

  /** Pre-encoded outgoing topics: `outgoingBytes` at `outgoingOffset(route)`, `outgoingLength(route)` bytes (0 = disabled). */
  get outgoingBytes(): Uint8Array {
    return this.outgoing.bytes;
  }

  outgoingOffset(route: number): number {
    return this.outgoing.offsets[route];
  }

  outgoingLength(route: number): number {
    return route >= 0 && route < this.outgoing.count ? this.outgoing.lengths[route] : 0;
  }

  incomingRouteByName(name: string): number {
    return this.incoming.names.indexOf(name);
  }

  outgoingRouteByName(name: string): number {
    return this.outgoing.names.indexOf(name);
  }
}
