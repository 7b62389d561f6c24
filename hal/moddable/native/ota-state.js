// ESP-IDF OTA boot-state calls for hal/moddable/ota.ts (see ota-state.c). Host functions only: nothing runs at load.
export function pendingVerify() @ "xs_ota_state_pending_verify";
export function markValid() @ "xs_ota_state_mark_valid";
export function rollback() @ "xs_ota_state_rollback";
export function bootNext() @ "xs_ota_state_boot_next";
export function retryRunning() @ "xs_ota_state_retry_running";
