/**
 * The whole firmware, composed once for every host: the device's `start()` and the host's `npm start` both call
 * `bootFirmware`. Order matters and follows the data: the store first (everything persists through it), then the
 * settings it holds, the MQTT link (built, not started), the protocol handlers on the link's routes, the control
 * loop and the scheduler as tick services; the link and the tick start last, when every handler is in place.
 */
import { LogLevel, type Hal } from "../../hal/types";
import type { GatewayConfig } from "../config/gateway-config";
import { DEFAULT_CONTROL_OPTIONS } from "../control/core";
import { ControlLoop, DEFAULT_LOOP_CONFIG } from "../control/loop";
import { createMqttLink, type MqttLink } from "../mqtt/index";
import { payloadText } from "../mqtt/dispatch";
import { MessageResult, PublishResult, SessionState } from "../mqtt/session";
import { bindOta, GatewayOtaState, MqttOtaUplink, OTA_INCOMING_ROUTES, OTA_OUTGOING_ROUTES, OtaManager, resolveOtaConfig } from "../ota/index";
import { MessageIds } from "../protocol/desired/message-ids";
import { bindDesired, MqttDesiredUplink } from "../protocol/desired/mqtt-binding";
import { DesiredSession } from "../protocol/desired/session";
import { StoreIdBlocks } from "../protocol/desired/store-ids";
import { createOverdemand, type Overdemand } from "../protocol/overdemand/index";
import { payloadPrefixText, payloadProblem, peekJsonField } from "../protocol/payload-check";
import { InRoute, OutRoute } from "../protocol/topics";
import { ERR_CAPACITY, ERR_MALFORMED } from "../schedule/codes";
import { ScheduleCommandHandler } from "../schedule/commands";
import { loadStoredTasks } from "../schedule/load";
import { Scheduler } from "../schedule/scheduler";
import { StoreTaskRepository } from "../schedule/store-adapter";
import { contextFromConfig, defaultSettings, PROPERTY_COUNT, type PropertyName, type SettingsValues } from "../settings/registry";
import { Settings } from "../settings/settings";
import { StoreSettingsPersistence } from "../settings/store-persistence";
import { checkTimezone } from "../settings/timezone";
import { GatewayStore } from "../store/index";
import { DevicePoints } from "./device-points";
import { storeSetpoints } from "./setpoint-store";
import { DeviceRatings } from "./device-ratings";
import { LevelLog } from "./level-log";
import { Gateway } from "./gateway";
import { peakStoresFor } from "./peak-store";
import { StatusReporter } from "./status-report";
import { StoreUplinkJournal } from "./uplink-journal";
import { ReplyPager } from "./reply-pager";
import { SinglePage } from "../core/reply-pages";
import { deepFreeze } from "../core/freeze";

/** Outgoing routes whose QoS 1 uplinks are kept on flash until acknowledged: every command reply, schedule events, OTA results. */
const DURABLE_ROUTES = deepFreeze([
  "overdemand_sync_result",
  "overdemand_create_result",
  "overdemand_update_result",
  "overdemand_delete_result",
  "overdemand_update_all_result",
  "thing_property_set_reply",
  "schedule_result",
  "schedule_event_post",
  "ota_upgrade_result",
]);

/** QoS of every platform reply and report: they ride the session's bounded outbox across a reconnect. */
const PLATFORM_QOS = 1;

export interface Firmware {
  gateway: Gateway;
  store: GatewayStore;
  settings: Settings;
  link: MqttLink;
  overdemand: Overdemand;
  desired: DesiredSession;
  scheduler: Scheduler;
  scheduleCommands: ScheduleCommandHandler;
  control: ControlLoop;
  points: DevicePoints;
  ratings: DeviceRatings;
  reporter: StatusReporter;
  ota: OtaManager;
}

export interface FirmwareOptions {
  /** Overrides of the MQTT config for this run (e.g. the host's `--broker`). */
  mqtt?: Partial<GatewayConfig["mqtt"]>;
}

export function bootFirmware(halIn: Hal, config: GatewayConfig, options: FirmwareOptions = {}): Firmware {
  // Every part logs through the level filter, which the log_level setting moves at run time.
  const log = new LevelLog(halIn.log, 3);
  const hal: Hal = { ...halIn, log };
  const gateway = new Gateway(hal, config);
  const counters = gateway.counters;
  const store = GatewayStore.open(gateway.storeFlash, {
    maxStrategies: config.limits.maxStrategies,
    maxTasks: config.limits.maxTasks,
    // One command's whole change is staged in RAM, packed: packed JSON is ~4x smaller than the JSON text that
    // carried it (docs/store.md), so half a packet leaves a wide margin; a larger change is refused (TX_TOO_LARGE).
    maxTxBytes: Math.max(2048, config.mqtt.maxPacketBytes >> 1),
    // Settings and their desired versions are keyed by property name: one record per property of the registry
    // (16 at least, so a later image with a few more properties still reads this store). Each index entry costs
    // ~16 B of fixed RAM; the store's defaults (64 each) were 100 entries more than any gateway can fill.
    maxSettings: Math.max(16, PROPERTY_COUNT),
    maxDesired: Math.max(16, PROPERTY_COUNT),
    counters,
  });
  hal.log.write(LogLevel.Info, "store", `opened: ${store.strategies.size} strategies, ${store.tasks.size} tasks`);

  const settings = new Settings(contextFromConfig(config, checkTimezone), defaultSettings(config), new StoreSettingsPersistence(store), counters, hal.log);
  settings.load();
  const values = settings.values;
  log.level = values.log_level;
  if (values.control_period_ms !== config.control.periodMs) gateway.setPeriod(values.control_period_ms);

  // The link's handlers are bound below; its events reach them through these late-bound references.
  let desired: DesiredSession | null = null;
  let overdemand: Overdemand | null = null;
  let reporter: StatusReporter | null = null;
  let ota: OtaManager | null = null;
  const link = createMqttLink(hal, config, {
    mqtt: { ...config.mqtt, keepAliveSec: values.mqtt_keepalive_s, ...options.mqtt },
    counters,
    extraIncoming: OTA_INCOMING_ROUTES,
    extraOutgoing: OTA_OUTGOING_ROUTES,
    // Command replies, schedule result events and OTA results survive a reboot while offline (uplink-journal.ts).
    journal: (router) => new StoreUplinkJournal(store, router, StoreUplinkJournal.routes(router, DURABLE_ROUTES), store.uplinkCapacity, counters, hal.log),
    events: {
      onOnline: () => {
        hal.log.write(LogLevel.Info, "mqtt", "online");
        overdemand?.binding.online();
        reporter?.soon();
        ota?.connected();
        desired?.connected();
      },
      onOffline: (reason) => {
        // Stopping on purpose (shutdown, OTA restart) is not a fault.
        hal.log.write(reason === "stopped" ? LogLevel.Info : LogLevel.Warn, "mqtt", `offline: ${reason}`);
        desired?.disconnected();
        ota?.disconnected();
      },
    },
  });

  // Replies in several messages (a large READ_ALL or strategy list) go out as the outbox drains (reply-pager.ts).
  const pager = new ReplyPager(link.session, PLATFORM_QOS, counters, hal.log);
  overdemand = createOverdemand(config, hal, store, counters, link, pager);
  desired = new DesiredSession(settings, new MqttDesiredUplink(link.session), new MessageIds(new StoreIdBlocks(store)), hal.clock, counters, hal.log);
  bindDesired(link.dispatcher, desired);

  // Scheduled actions and trigger values on the site's devices (docs/points.md); ESS base setpoints persist in meta.
  const points = new DevicePoints({
    clock: hal.clock,
    log: hal.log,
    counters,
    points: config.points,
    rs485Port: config.rs485.port,
    persistence: storeSetpoints(store),
  });
  const site = { latitude: values.site_latitude, longitude: values.site_longitude, timezone: values.timezone };
  const repository = new StoreTaskRepository(store);
  const scheduleEventsRefused = counters.register("schedule_events_refused");
  const scheduler = new Scheduler({
    clock: hal.clock,
    log: hal.log,
    counters,
    repository,
    actions: points,
    events: {
      post(message) {
        const result = link.session.publishText(OutRoute.ScheduleEventPost, JSON.stringify(message), PLATFORM_QOS);
        if (result === PublishResult.Queued || result === PublishResult.Sent) return true;
        counters.add(scheduleEventsRefused);
        return false; // the runner keeps it (bounded) and retries
      },
    },
    properties: points,
    site,
    sn: config.device.uid,
    capacity: config.limits.maxTasks,
  });
  loadStoredTasks(scheduler, repository, points, hal.log, counters);
  const scheduleCommands = new ScheduleCommandHandler({
    scheduler,
    repository,
    properties: points,
    clock: hal.clock,
    sn: config.device.uid,
    // Each reply message fits one packet (and the outbox): the margin is the MQTT header and topic.
    maxReplyBytes: Math.min(config.mqtt.maxPacketBytes, config.mqtt.outboxBytes, config.limits.replyPartBytes) - 512,
    counters,
    log: hal.log,
  });
  link.dispatcher.on(InRoute.ScheduleCommand, (message) => {
    // The handler commits before it returns: the reply (and the PUBACK) follow the flash commit.
    const problem = payloadProblem(message);
    const reply =
      problem === null
        ? scheduleCommands.handleCommand(payloadText(message))
        : new SinglePage(scheduleCommands.refuseText(peekJsonField(payloadPrefixText(message), "msgid"), message.oversizeBytes > 0 ? ERR_CAPACITY : ERR_MALFORMED, problem));
    pager.send(OutRoute.ScheduleResult, reply.next() as string, reply);
    return MessageResult.Accepted;
  });

  // The loop reads the strategies through the ratings: a device sent without rated_power is rated from its own
  // registers before it is controlled (device-ratings.ts).
  const ratings = new DeviceRatings(overdemand.active, points, hal.clock, hal.log, counters);
  const control = new ControlLoop(
    hal,
    ratings,
    {
      ...DEFAULT_LOOP_CONFIG,
      maxGroups: config.limits.maxMeters,
      maxDevices: config.limits.maxDevices,
      serialPort: config.rs485.port,
      baud: config.rs485.baud,
      options: { ...DEFAULT_CONTROL_OPTIONS, periodMs: values.control_period_ms, staleMs: values.meter_silence_timeout_ms },
    },
    counters,
    peakStoresFor(store, counters),
    points,
  );
  points.attach(control);
  ratings.attach(control);
  // Between cycles: the scheduled points, then the rating reads, sharing the bus budget (points.fits).
  control.cycleGuest = {
    serveCycle(nowMs: number) {
      points.serveCycle(nowMs);
      ratings.serveCycle(nowMs);
    },
  };

  // OTA: after the reboot into a new image, the health check wants the store loaded (done above), the link up and
  // a control cycle run before the image is confirmed; otherwise the bootloader goes back to the previous one.
  ota = new OtaManager({
    hal,
    config: resolveOtaConfig(config.ota),
    deviceUid: config.device.uid,
    runningVersion: config.device.firmwareVersion,
    store: new GatewayOtaState(store),
    uplink: new MqttOtaUplink(link),
    counters,
    // The platform's native digest where it has one: far cheaper per downloaded byte than the TS SHA-256 on XS.
    // A factory: the manager makes one per download and holds none while idle.
    hash: hal.sha256 ? () => hal.sha256!() : undefined,
  });
  bindOta(link, ota);
  ota.noteStoreLoaded();
  const otaManager = ota;

  const reportsSkipped = counters.register("reports_skipped");
  reporter = new StatusReporter(
    hal.clock,
    {
      report: () => ({
        device_uid: config.device.uid,
        status: gateway.status(),
        mqtt: link.session.status().state,
        control: control.status(),
        strategies: overdemand?.handler.strategies.length ?? 0,
        // Stored strategies the loop cannot control (no meter it can reach, devices left out), each with its reason.
        strategyProblems: overdemand?.active.problems ?? [],
        tasks: store.tasks.size,
        store: store.records.stats(),
        ota: otaManager.status(),
        ratings: ratings.status(),
      }),
    },
    {
      ready: () => link.session.state === SessionState.Connected,
      publishReport(text) {
        const result = link.session.publishText(OutRoute.ReportPost, text, 0);
        if (result === PublishResult.Sent || result === PublishResult.Queued) return true;
        counters.add(reportsSkipped);
        return false;
      },
    },
    values.report_interval_s * 1000,
  );

  settings.setListener({
    settingsChanged(current: Readonly<SettingsValues>, changed: readonly PropertyName[]) {
      // Live effects. The control options object is shared by the loop and its cores, so a change applies at the
      // next cycle. Read at boot only (next boot): keepalive (next connect), site latitude/longitude, ramp, SoC limits.
      if (changed.includes("timezone") || changed.includes("dst_enable")) scheduler.setTimeZone(current.timezone);
      if (changed.includes("control_period_ms")) {
        control.config.options.periodMs = current.control_period_ms;
        gateway.setPeriod(current.control_period_ms);
      }
      if (changed.includes("meter_silence_timeout_ms")) control.config.options.staleMs = current.meter_silence_timeout_ms;
      if (changed.includes("log_level")) log.level = current.log_level;
      if (changed.includes("report_interval_s")) reporter?.setPeriodSeconds(current.report_interval_s);
      hal.log.write(LogLevel.Info, "settings", `changed: ${changed.join(", ")}`);
    },
  });

  gateway.addService(link.session);
  gateway.addService(pager);
  gateway.addService(desired);
  gateway.addService(overdemand.active);
  gateway.addService(control);
  gateway.addService(scheduler);
  gateway.addService(reporter);
  gateway.addService(ota);
  gateway.addService({ name: "ota-health", tick: () => (control.cycles > 0 ? otaManager.noteControlTick() : undefined) });
  link.session.start();
  gateway.start();
  return { gateway, store, settings, link, overdemand, desired, scheduler, scheduleCommands, control, points, ratings, reporter, ota };
}
