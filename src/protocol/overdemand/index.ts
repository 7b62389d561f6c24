/**
 * Spec 000 (demand management and anti-backflow strategies) in one call: handler on the flash store, the control
 * loop's ActiveStrategies, and the MQTT binding. See docs/protocol-000.md.
 */
import type { Hal } from "../../../hal/types";
import type { GatewayConfig } from "../../config/gateway-config";
import type { Counters } from "../../core/counters";
import type { GatewayStore } from "../../store/index";
import { ActiveStrategies } from "./active-strategy";
import { OverdemandHandler } from "./handler";
import { PosixCalendar } from "./local-month";
import { OverdemandMqttBinding, type OverdemandDispatcher, type OverdemandPager, type OverdemandPublisher } from "./mqtt-binding";
import { GatewayStrategyStore } from "./store-adapter";
import { siteTopology } from "./site-topology";

export { ActiveStrategies } from "./active-strategy";
export { SPEC_TOPOLOGY, type Topology } from "./topology";
export { siteTopology } from "./site-topology";
export { OverdemandHandler, type OverdemandAction, type OverdemandOutput } from "./handler";
export { OverdemandMqttBinding } from "./mqtt-binding";

export interface Overdemand {
  handler: OverdemandHandler;
  active: ActiveStrategies;
  binding: OverdemandMqttBinding;
}

/**
 * Build at boot, after the store is open and the MQTT link is created (not started):
 * the handler loads the strategies from the store, the binding plugs the command routes into the dispatcher.
 * The caller forwards the session's onOnline to `binding.online()`, adds `active` as a TickService (it follows
 * the month) and hands `active` to the ControlLoop as its StrategySource.
 */
export function createOverdemand(
  config: GatewayConfig,
  hal: Pick<Hal, "clock" | "random" | "log">,
  db: GatewayStore,
  counters: Counters,
  link: { session: OverdemandPublisher; dispatcher: OverdemandDispatcher },
  /** Sends lists of several parts as the outbox drains (src/app/reply-pager.ts); null: all parts at once. */
  pager: OverdemandPager | null = null,
): Overdemand {
  const calendar = PosixCalendar.fromTz(config.site.timezone);
  const handler = new OverdemandHandler({
    deviceUid: config.device.uid,
    clock: hal.clock,
    random: hal.random,
    store: new GatewayStrategyStore(db),
    calendar,
    counters,
    log: hal.log,
    maxStrategies: config.limits.maxStrategies,
    // Each part of the list must fit what the session can send, and be held in its outbox.
    maxPacketBytes: Math.min(config.mqtt.maxPacketBytes, config.mqtt.outboxBytes, config.limits.replyPartBytes),
  });
  const active = new ActiveStrategies(handler, hal.clock, calendar, siteTopology(config.points.devices));
  const binding = new OverdemandMqttBinding(handler, link.session, counters, hal.log, pager);
  binding.attach(link.dispatcher);
  return { handler, active, binding };
}
