/** OTA updates (issue 9): docs/ota.md. */
export { DEFAULT_OTA_CONFIG, otaPublicKey, resolveOtaConfig, SLOT_SECTOR_BYTES, type OtaConfig } from "./config";
export { CODE_BUSY, CODE_FAILED, OTA_PHASE_NAMES, OtaDisposition, OtaManager, OtaMessage, type OtaHal, type OtaManagerOptions, type OtaUplink } from "./manager";
export { bindOta, MqttOtaUplink } from "./mqtt-binding";
export { MemoryOtaState, type OtaOutcome, type OtaRecord, type OtaStatePort } from "./state-port";
export { GatewayOtaState } from "./store-adapter";
export { OTA_COMMAND_ROUTE, OTA_INCOMING_ROUTES, OTA_OUTGOING_ROUTES, OTA_PROGRESS_ROUTE, OTA_RESULT_ROUTE, OTA_VERSION_ROUTE } from "./topics";
