/**
 * The spec 004 topic family: `/sys/${ProductID}/${HardwareID}/thing/...`. ProductID is the config's
 * device.productKey and HardwareID its device.deviceName. Built once at boot.
 */
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

/** The downlink topics the MQTT session must subscribe to for this module. */
export function desiredSubscriptions(topics: DesiredTopics): string[] {
  return [topics.set, topics.desiredGetReply, topics.desiredDeleteReply, topics.propertyPostReply];
}
