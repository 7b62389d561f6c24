/**
 * OTA on the MQTT link: the command route to the manager, the manager's messages to their routes. Results and the
 * version report go at QoS 1 (they ride the session's outbox across a reconnect); progress at QoS 0 (a lost one is
 * replaced by the next, and it must never crowd results out of the outbox).
 */
import { ConfigError } from "../config/gateway-config";
import { payloadText } from "../mqtt/dispatch";
import type { MqttLink } from "../mqtt/index";
import { PublishResult, type MessageResult } from "../mqtt/session";
import { OtaMessage, type OtaManager, type OtaUplink } from "./manager";
import { OTA_COMMAND_ROUTE, OTA_PROGRESS_ROUTE, OTA_RESULT_ROUTE, OTA_VERSION_ROUTE } from "./topics";

function outgoing(link: MqttLink, name: string): number {
  const route = link.router.outgoingRouteByName(name);
  if (route < 0) throw new ConfigError("mqtt.topics", `route ${name} missing: build the link with extraOutgoing: OTA_OUTGOING_ROUTES`);
  return route;
}

export class MqttOtaUplink implements OtaUplink {
  private readonly routes: number[];

  constructor(private readonly link: MqttLink) {
    // In OtaMessage order: Result, Progress, Version.
    this.routes = [outgoing(link, OTA_RESULT_ROUTE), outgoing(link, OTA_PROGRESS_ROUTE), outgoing(link, OTA_VERSION_ROUTE)];
  }

  publish(message: OtaMessage, payload: string): boolean {
    const qos = message === OtaMessage.Progress ? 0 : 1;
    const result = this.link.session.publishText(this.routes[message], payload, qos);
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
  link.dispatcher.on(route, (message) => manager.handleCommand(payloadText(message), message.ackToken) as MessageResult);
}
