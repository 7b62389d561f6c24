/**
 * Spec 004 on the MQTT link: the session's uplink kinds map to the topic router's Thing routes, and the four Thing
 * downlink routes go to the DesiredSession. Every downlink is finished synchronously (a set is committed or refused
 * before its handler returns), so each is acknowledged at once.
 */
import { MessageResult, payloadText, PublishResult, type InboundMessage, type MqttSession, type RouteDispatcher } from "../../mqtt/index";
import { InRoute, OutRoute } from "../topics";
import type { DesiredOut, DesiredSession, DesiredUplink } from "./session";
import { deepFreeze } from "../../core/freeze";
import { payloadPrefixText, payloadProblem, peekJsonField } from "../payload-check";

/** Indexed by DesiredOut. */
const OUT_ROUTES: readonly number[] = deepFreeze([OutRoute.ThingPropertySetReply, OutRoute.ThingDesiredGet, OutRoute.ThingDesiredDelete, OutRoute.ThingPropertyPost]);

export class MqttDesiredUplink implements DesiredUplink {
  /** The last refusal of the MQTT session (a PublishResult), for the status when publishes fail. */
  lastRefusal: number = PublishResult.Queued;

  /**
   * QoS 1 by default: replies, deletes and posts then ride the session's bounded outbox across a reconnect instead of
   * being dropped while the link is down.
   */
  constructor(
    private readonly mqtt: MqttSession,
    private readonly qos = 1,
  ) {}

  publish(kind: DesiredOut, payload: string): boolean {
    const result = this.mqtt.publishText(OUT_ROUTES[kind], payload, this.qos);
    if (result === PublishResult.Queued || result === PublishResult.Sent) return true;
    this.lastRefusal = result;
    return false;
  }
}

/** Plug the spec-004 downlink routes into the dispatcher. Call once at boot. */
export function bindDesired(dispatcher: RouteDispatcher, desired: DesiredSession): void {
  // One handler for the four routes (the message names its route): one closure kept instead of four.
  const handler = (message: InboundMessage): MessageResult => {
    const route = message.route;
    const problem = payloadProblem(message);
    if (problem !== null) {
      // A set is answered with its error; a poisoned reply from the platform is refused (acknowledged, counted).
      if (route === InRoute.ThingPropertySet) desired.refusePropertySet(peekJsonField(payloadPrefixText(message), "id") ?? "", problem);
      return MessageResult.Rejected;
    }
    const text = payloadText(message);
    if (route === InRoute.ThingPropertySet) return desired.onPropertySet(text) ? MessageResult.Accepted : MessageResult.Rejected;
    if (route === InRoute.ThingDesiredGetReply) desired.onDesiredGetReply(text);
    else if (route === InRoute.ThingDesiredDeleteReply) desired.onDesiredDeleteReply(text);
    else desired.onPropertyPostReply(text);
    return MessageResult.Accepted;
  };
  dispatcher.on(InRoute.ThingPropertySet, handler);
  dispatcher.on(InRoute.ThingDesiredGetReply, handler);
  dispatcher.on(InRoute.ThingDesiredDeleteReply, handler);
  dispatcher.on(InRoute.ThingPropertyPostReply, handler);
}
