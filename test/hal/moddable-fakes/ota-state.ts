import { partitions } from "./flash";

export const otaState = { pending: false, markedValid: 0, bootNextCalls: 0, retries: 0, rollbacks: 0 };

export function pendingVerify(): boolean {
  return otaState.pending;
}
export function markValid(): void {
  otaState.pending = false;
  otaState.markedValid++;
}
export function rollback(): void {
  otaState.rollbacks++;
}
/** Stands in for esp_ota_set_boot_partition's image check: the image must at least start with the magic byte. */
export function bootNext(): void {
  if (partitions.nextota[0] !== 0xe9) throw new Error("ota-state: the new image does not verify");
  otaState.bootNextCalls++;
}
export function retryRunning(): void {
  otaState.retries++;
}
