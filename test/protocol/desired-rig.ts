/**
 * Sans-I/O rig for spec 004: one simulated device (Settings + DesiredSession on a simulated clock) and the scripted
 * platform, joined by two explicit queues so a test decides exactly what is delivered when. `reboot()` rebuilds the
 * device from its persistence, as a power cycle does.
 */
import { SimLoop } from "../../hal/sim/loop";
import { DEFAULT_CONFIG, resolveConfig } from "../../src/config/gateway-config";
import { Counters } from "../../src/core/counters";
import { MessageIds, type IdBlockPersistence } from "../../src/protocol/desired/message-ids";
import { DEFAULT_DESIRED_OPTIONS, DesiredSession, type DesiredOptions, type DesiredOut } from "../../src/protocol/desired/session";
import { desiredOutTopic, desiredTopics, dispatchDesired } from "../../src/protocol/desired/topics";
import { MemorySettingsPersistence, type SettingsPersistence } from "../../src/settings/persistence";
import { contextFromConfig, defaultSettings } from "../../src/settings/registry";
import { Settings } from "../../src/settings/settings";
import { checkTimezone } from "../../src/settings/timezone";
import { CapturingListener, CapturingLog } from "../settings/helpers";
import { ScriptedPlatform } from "./desired-platform";

export const PRODUCT_KEY = "pk-demo";
export const DEVICE_NAME = "GW-0001";

export class MemoryIdBlocks implements IdBlockPersistence {
  next = 0;
  saves = 0;
  load(): number {
    return this.next;
  }
  save(nextBlock: number): void {
    this.next = nextBlock;
    this.saves++;
  }
}

export interface Device {
  settings: Settings;
  session: DesiredSession;
  counters: Counters;
  log: CapturingLog;
  listener: CapturingListener;
}

export class Rig {
  readonly loop = new SimLoop();
  readonly config = resolveConfig(DEFAULT_CONFIG);
  readonly topics = desiredTopics(PRODUCT_KEY, DEVICE_NAME);
  readonly toPlatform: [string, string][] = [];
  readonly toDevice: [string, string][] = [];
  readonly platform = new ScriptedPlatform(PRODUCT_KEY, DEVICE_NAME, (topic, payload) => {
    this.toDevice.push([topic, payload]);
  });
  /** Every id the device used in its own messages, over all boots. */
  readonly deviceIds: string[] = [];
  online = false;
  device!: Device;
  /** False once the device has lost power (a simulated flash cut): from then on nothing leaves or reaches it. */
  alive: () => boolean = () => true;

  /**
   * `reopen`, when given, is called at every boot for fresh persistence objects (a store reopened on the same flash,
   * as after a real power cycle); otherwise the given objects are kept across reboots.
   */
  constructor(
    public persistence: SettingsPersistence = new MemorySettingsPersistence(),
    public idBlocks: IdBlockPersistence = new MemoryIdBlocks(),
    readonly options: DesiredOptions = DEFAULT_DESIRED_OPTIONS,
    private readonly reopen?: () => { persistence: SettingsPersistence; idBlocks: IdBlockPersistence },
  ) {
    this.boot();
  }

  /** Build the device from what is persisted (first boot or after a reboot). */
  boot(): Device {
    if (this.reopen) {
      const opened = this.reopen();
      this.persistence = opened.persistence;
      this.idBlocks = opened.idBlocks;
    }
    const counters = new Counters();
    const log = new CapturingLog();
    const settings = new Settings(contextFromConfig(this.config, checkTimezone), defaultSettings(this.config), this.persistence, counters, log);
    const listener = new CapturingListener();
    settings.setListener(listener);
    settings.load();
    const uplink = {
      publish: (kind: DesiredOut, payload: string): boolean => {
        if (!this.online || !this.alive()) return false;
        const topic = desiredOutTopic(this.topics, kind);
        const id = (JSON.parse(payload) as { id?: string }).id;
        if (topic !== this.topics.setReply && id !== undefined) this.deviceIds.push(id);
        this.toPlatform.push([topic, payload]);
        return true;
      },
    };
    const session = new DesiredSession(settings, uplink, new MessageIds(this.idBlocks), this.loop, counters, log, this.options);
    this.device = { settings, session, counters, log, listener };
    return this.device;
  }

  /** Power cycle: whatever was queued in either direction is lost, the device restarts from its persistence. */
  reboot(): Device {
    this.online = false;
    this.toPlatform.length = 0;
    this.toDevice.length = 0;
    return this.boot();
  }

  connect(): void {
    this.online = true;
    this.device.session.connected();
  }

  disconnect(): void {
    this.online = false;
    this.device.session.disconnected();
  }

  /** Deliver queued messages both ways until nothing moves. */
  pump(): void {
    for (let round = 0; round < 100; round++) {
      if (this.toPlatform.length === 0 && this.toDevice.length === 0) return;
      for (const [topic, payload] of this.toPlatform.splice(0)) this.platform.receive(topic, payload);
      for (const [topic, payload] of this.toDevice.splice(0)) this.deliver(topic, payload);
    }
    throw new Error("rig: messages still moving after 100 rounds");
  }

  /** Deliver only what the device sent so far (the platform's answers stay queued). */
  deliverToPlatform(): void {
    for (const [topic, payload] of this.toPlatform.splice(0)) this.platform.receive(topic, payload);
  }

  /** Hand one platform message to the device. */
  deliver(topic: string, payload: string): boolean {
    if (!this.alive()) return false;
    return dispatchDesired(this.device.session, this.topics, topic, payload);
  }

  /** Deliver only what the platform sent so far (the device's answers stay queued). */
  deliverToDevice(): void {
    for (const [topic, payload] of this.toDevice.splice(0)) this.deliver(topic, payload);
  }

  /** Advance simulated time, ticking the session every `stepMs`. */
  runFor(ms: number, stepMs = 250): void {
    const end = this.loop.monotonicMs() + ms;
    while (this.loop.monotonicMs() < end) {
      this.loop.runFor(Math.min(stepMs, end - this.loop.monotonicMs()));
      this.device.session.tick(this.loop.monotonicMs());
    }
  }

  counter(name: string): number {
    return this.device.counters.value(name);
  }
}
