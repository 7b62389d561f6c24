/**
 * OTA on the MQTT link: the command route to the manager, the manager's messages to their routes. Results and the
 * version report go at QoS 1 (they ride the session's outbox across a reconnect); progress at QoS 0 (a lost one is
 * replaced by the next, and it must never crowd results out of the outbox).
 */
import { ConfigError } from "../config/gateway-config";
import { payloadText } from "../mqtt/dispatch";
import type { MqttLink } from "../mqtt/index";
import { MessageResult, PublishResult } from "../mqtt/session";
import { payloadProblem } from "../protocol/payload-check";
import { OtaMessage, type OtaManager, type OtaUplink } from "./manager";
import { OTA_COMMAND_ROUTE, OTA_PROGRESS_ROUTE, OTA_RESULT_ROUTE, OTA_VERSION_ROUTE } from "./topics";

function outgoing(link: MqttLink, name: string): number {
  const route = link.router.outgoingRouteByName(name);
  if (route < 0) throw new ConfigError("mqtt.topics", `route ${name} missing: build the link with extraOutgoing: OTA_OUTGOING_ROUTES`);
  return route;
}

export class MqttOtaUplink implements OtaUplink {
  // Three fields rather than an array: an array's items cost a chunk slot each, held for the gateway's life.
  private readonly resultRoute: number;
  private readonly progressRoute: number;
  private readonly versionRoute: number;

  constructor(private readonly link: MqttLink) {
    this.resultRoute = outgoing(link, OTA_RESULT_ROUTE);
    this.progressRoute = outgoing(link, OTA_PROGRESS_ROUTE);
    this.versionRoute = outgoing(link, OTA_VERSION_ROUTE);
  }

  publish(message: OtaMessage, payload: string): boolean {
    const qos = message === OtaMessage.Progress ? 0 : 1;
    const route = message === OtaMessage.Result ? this.resultRoute : message === OtaMessage.Progress ? this.progressRoute : this.versionRoute;
    const result = this.link.session.publishText(route, payload, qos);
    return result === PublishResult.Queued || result === PublishResult.Sent;
  }

  acknowledge(token: number): void {
    this.link.session.acknowledge(token);
  }
}

/** Route upgrade commands to `manager` (its OtaDisposition values are the session's MessageResult values). */
export function bindOta(link: MqttLink, manager: OtaManager): void {
  const route = link.router.incomingRouteByName(OTA_COMMAND_ROUTE);
  if (route < 0) throw new ConfigError("mqtt.topics", `route ${OTA_COMMAND_ROUTE} missing: build the link with extraIncoming: OTA_INCOMING_ROUTES`);
  // A payload that cannot be parsed (too large, not UTF-8, nested too deep) is refused before the manager sees it:
  // acknowledged and counted (mqtt_downlink_rejected), nothing started.
  link.dispatcher.on(route, (message) => (payloadProblem(message) === null ? (manager.handleCommand(payloadText(message), message.ackToken) as MessageResult) : MessageResult.Rejected));
}
