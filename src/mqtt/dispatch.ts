import type { Counters } from "../core/counters";
import type { TopicRouter } from "../protocol/topics";
import { MessageResult, type InboundMessage, type MqttMessageHandler } from "./session";
import { readUtf8 } from "./utf8";

/** A handler for one incoming route. `message` is reused: copy what must outlive the call. */
export type RouteHandler = (message: InboundMessage) => MessageResult;

/**
 * Per-route handlers behind the session's single handler: a fixed table indexed by route id. A message on a
 * route without a handler (a family not wired yet) is refused as Rejected (so it is acknowledged, not redelivered)
 * and counted as `mqtt_no_handler`.
 */
export class RouteDispatcher implements MqttMessageHandler {
  private readonly handlers: (RouteHandler | null)[];
  private readonly noHandler: number;
  unhandled = 0;

  constructor(
    private readonly router: TopicRouter,
    private readonly counters?: Counters,
  ) {
    // Sized once: an array grown by push keeps spare capacity (chunk bytes) for the gateway's life.
    this.handlers = new Array<RouteHandler | null>(router.incomingCount).fill(null);
    this.noHandler = counters ? counters.register("mqtt_no_handler") : -1;
  }

  /** Plug `handler` for an incoming route (InRoute.* or an extra route's id). */
  on(route: number, handler: RouteHandler): this {
    if (!(route >= 0 && route < this.handlers.length)) throw new RangeError(`RouteDispatcher: no incoming route ${route}`);
    if (this.handlers[route] !== null) throw new Error(`RouteDispatcher: route ${this.router.incomingName(route)} already has a handler`);
    this.handlers[route] = handler;
    return this;
  }

  onMessage(message: InboundMessage): MessageResult {
    const handler = message.route >= 0 ? this.handlers[message.route] : null;
    if (!handler) {
      this.unhandled++;
      if (this.counters) this.counters.add(this.noHandler);
      return MessageResult.Rejected;
    }
    return handler(message);
  }
}

/** The payload as a string (JSON commands). Allocates the string: command rate only. */
export function payloadText(message: InboundMessage): string {
  return readUtf8(message.buffer, message.payloadOffset, message.payloadLength);
}

/** The topic as a string (logs). */
export function topicText(message: InboundMessage): string {
  return readUtf8(message.buffer, message.topicOffset, message.topicLength);
}
