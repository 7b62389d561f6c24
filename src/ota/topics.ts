/**
 * The OTA topics, in the spec-000 style under the device prefix, as routes for the TopicRouter
 * (`new TopicRouter(identity, { extraIncoming: OTA_INCOMING_ROUTES, extraOutgoing: OTA_OUTGOING_ROUTES })`).
 */
import { RouteFamily, type RouteDefinition } from "../protocol/topics";
import { deepFreeze } from "../core/freeze";

export const OTA_COMMAND_ROUTE = "ota_upgrade_command";
export const OTA_RESULT_ROUTE = "ota_upgrade_result";
export const OTA_PROGRESS_ROUTE = "ota_progress_post";
export const OTA_VERSION_ROUTE = "ota_version_post";

export const OTA_INCOMING_ROUTES: readonly RouteDefinition[] = deepFreeze([
  { name: OTA_COMMAND_ROUTE, family: RouteFamily.Extra, template: "${PREFIX}/ota/upgrade/command", reply: OTA_RESULT_ROUTE },
]);

export const OTA_OUTGOING_ROUTES: readonly RouteDefinition[] = deepFreeze([
  { name: OTA_RESULT_ROUTE, family: RouteFamily.Extra, template: "${PREFIX}/ota/upgrade/result" },
  { name: OTA_PROGRESS_ROUTE, family: RouteFamily.Extra, template: "${PREFIX}/ota/progress/post" },
  { name: OTA_VERSION_ROUTE, family: RouteFamily.Extra, template: "${PREFIX}/ota/version/post" },
]);
