/**
 * The I/O edge of the spec-000 handler: command routes of the MQTT link in, results and list reports out.
 * Everything is QoS 1: a result or report survives a reconnect in the session's outbox. The handler commits before
 * it returns, so a command is acknowledged (PUBACK) only after its change is on flash.
 */
import { LogLevel, type Log } from "../../../hal/types";
import type { Counters } from "../../core/counters";
import { payloadText } from "../../mqtt/dispatch";
import { MessageResult, PUBLISH_RESULT_NAMES, PublishResult, type InboundMessage } from "../../mqtt/session";
import { InRoute, OutRoute } from "../topics";
import { CODE_OK } from "../envelope";
import { LIST_TOPIC_SUFFIX, resultTopicSuffix, type OverdemandAction, type OverdemandHandler, type OverdemandOutput } from "./handler";
import { deepFreeze } from "../../core/freeze";
import { payloadPrefixText, payloadProblem, peekJsonField } from "../payload-check";
import type { ReplyPages } from "../../core/reply-pages";

/** What the binding needs of the MQTT session. */
export interface OverdemandPublisher {
  publishText(route: number, payload: string, qos: number): PublishResult;
}

/** Sends a message that may be the first of several (src/app/reply-pager.ts). */
export interface OverdemandPager {
  send(route: number, first: string, rest: ReplyPages | null): PublishResult;
  /** Every part of `pages` built and queued later, when the outbox has drained. */
  sendLater(route: number, pages: ReplyPages): void;
}

/** What the binding needs of the route dispatcher. */
export interface OverdemandDispatcher {
  on(route: number, handler: (message: InboundMessage) => MessageResult): unknown;
}

const ROUTES: readonly { action: OverdemandAction; command: number; result: number }[] = deepFreeze([
  { action: "sync", command: InRoute.OverdemandSyncCommand, result: OutRoute.OverdemandSyncResult },
  { action: "create", command: InRoute.OverdemandCreateCommand, result: OutRoute.OverdemandCreateResult },
  { action: "update", command: InRoute.OverdemandUpdateCommand, result: OutRoute.OverdemandUpdateResult },
  { action: "delete", command: InRoute.OverdemandDeleteCommand, result: OutRoute.OverdemandDeleteResult },
  { action: "update_all", command: InRoute.OverdemandUpdateAllCommand, result: OutRoute.OverdemandUpdateAllResult },
]);

/**
 * The outgoing route of each topic suffix the handler names, as frozen module data: in flash on the device, where
 * a per-instance table would cost heap slots and add its runtime-built keys to XS's fixed key table.
 */
const OUT_ROUTES: Readonly<Record<string, number>> = deepFreeze({
  [LIST_TOPIC_SUFFIX]: OutRoute.OverdemandListPost,
  [resultTopicSuffix("sync")]: OutRoute.OverdemandSyncResult,
  [resultTopicSuffix("create")]: OutRoute.OverdemandCreateResult,
  [resultTopicSuffix("update")]: OutRoute.OverdemandUpdateResult,
  [resultTopicSuffix("delete")]: OutRoute.OverdemandDeleteResult,
  [resultTopicSuffix("update_all")]: OutRoute.OverdemandUpdateAllResult,
});

export const OVERDEMAND_QOS = 1;

export class OverdemandMqttBinding {
  private readonly cPublishFailed: number;

  constructor(
    private readonly handler: OverdemandHandler,
    private readonly publisher: OverdemandPublisher,
    private readonly counters: Counters,
    private readonly log: Log,
    /** Where a list in several parts goes; without one (tests) every part is queued at once. */
    private readonly pager: OverdemandPager | null = null,
  ) {
    this.cPublishFailed = counters.register("overdemand_publish_failed");
  }

  /** Plug the five command routes into the dispatcher. Once, at boot. One closure serves all five. */
  attach(dispatcher: OverdemandDispatcher): void {
    const handler = (message: InboundMessage): MessageResult => this.onCommand(message);
    for (const route of ROUTES) dispatcher.on(route.command, handler);
  }

  /** Call from the session's onOnline: the platform gets the whole list after every connect. */
  online(): void {
    this.publish(this.handler.listReport());
  }

  private onCommand(message: InboundMessage): MessageResult {
    let action: OverdemandAction = ROUTES[0].action;
    for (const route of ROUTES) if (route.command === message.route) action = route.action;
    const problem = payloadProblem(message);
    const outputs = problem === null ? this.handler.handle(action, payloadText(message)) : [this.handler.refuse(action, peekJsonField(payloadPrefixText(message), "mid") ?? "", problem)];
    for (const output of outputs) this.publish(output);
    return outputs[0].code === CODE_OK ? MessageResult.Accepted : MessageResult.Rejected;
  }

  private publish(output: OverdemandOutput): void {
    const route = OUT_ROUTES[output.topicSuffix];
    let result: PublishResult;
    if (this.pager !== null && output.later !== undefined) {
      this.pager.sendLater(route, output.later);
      return;
    }
    if (this.pager !== null) result = this.pager.send(route, output.payload, output.rest);
    else {
      result = this.publisher.publishText(route, output.payload, OVERDEMAND_QOS);
      for (let part = output.rest !== null ? output.rest.next() : null; part !== null; part = (output.rest as ReplyPages).next()) {
        this.report(output.topicSuffix, this.publisher.publishText(route, part, OVERDEMAND_QOS));
      }
    }
    this.report(output.topicSuffix, result);
  }

  private report(topicSuffix: string, result: PublishResult): void {
    if (result !== PublishResult.Queued && result !== PublishResult.Sent) {
      // The change (if any) is committed and its reply remembered: a redelivered command gets it again.
      this.counters.add(this.cPublishFailed);
      this.log.write(LogLevel.Error, "overdemand", `publish ${topicSuffix}: ${PUBLISH_RESULT_NAMES[result]}`);
    }
  }
}
