/**
 * The spec 004 topic family as strings: `/sys/${ProductID}/${HardwareID}/thing/...` (ProductID = the config's
 * device.productKey, HardwareID = device.deviceName). The gateway itself goes through the TopicRouter's routes
 * (mqtt-binding.ts); these strings serve hosts and tests that handle topics as text (the scripted platform), and
 * a test checks they equal the router's.
 */
import { DesiredOut, type DesiredSession } from "./session";

export interface DesiredTopics {
  /** Downlink: the platform sets properties. */
  readonly set: string;
  readonly setReply: string;
  readonly desiredGet: string;
  /** Downlink: replies to our get. */
  readonly desiredGetReply: string;
  readonly desiredDelete: string;
  /** Downlink: replies to our delete. */
  readonly desiredDeleteReply: string;
  /** Uplink: current values after a change. */
  readonly propertyPost: string;
  /** Downlink: replies to our post (only when we ask for them with sys.ack = 1). */
  readonly propertyPostReply: string;
}

export function desiredTopics(productId: string, hardwareId: string): DesiredTopics {
  const base = `/sys/${productId}/${hardwareId}/thing/`;
  return {
    set: `${base}service/property/set`,
    setReply: `${base}service/property/set_reply`,
    desiredGet: `${base}property/desired/get`,
    desiredGetReply: `${base}property/desired/get_reply`,
    desiredDelete: `${base}property/desired/delete`,
    desiredDeleteReply: `${base}property/desired/delete_reply`,
    propertyPost: `${base}event/property/post`,
    propertyPostReply: `${base}event/property/post_reply`,
  };
}

/** The downlink topics to subscribe to. */
export function desiredSubscriptions(topics: DesiredTopics): string[] {
  return [topics.set, topics.desiredGetReply, topics.desiredDeleteReply, topics.propertyPostReply];
}

/** The topic of an uplink kind. */
export function desiredOutTopic(topics: DesiredTopics, kind: DesiredOut): string {
  switch (kind) {
    case DesiredOut.SetReply:
      return topics.setReply;
    case DesiredOut.DesiredGet:
      return topics.desiredGet;
    case DesiredOut.DesiredDelete:
      return topics.desiredDelete;
    case DesiredOut.PropertyPost:
      return topics.propertyPost;
  }
}

/** Hand a message given by topic string to the session; false when the topic is not one of spec 004's downlinks. */
export function dispatchDesired(session: DesiredSession, topics: DesiredTopics, topic: string, payload: string): boolean {
  if (topic === topics.set) session.onPropertySet(payload);
  else if (topic === topics.desiredGetReply) session.onDesiredGetReply(payload);
  else if (topic === topics.desiredDeleteReply) session.onDesiredDeleteReply(payload);
  else if (topic === topics.propertyPostReply) session.onPropertyPostReply(payload);
  else return false;
  return true;
}
