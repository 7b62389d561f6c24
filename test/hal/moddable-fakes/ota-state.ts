/**
 * `esp32/ota-state` on ESP32: a fake of our native module (hal/moddable/native/ota-state.js over ota-state.c, the
 * ESP-IDF app-rollback calls). State in hardware.ts (otaState); bootNext checks the image magic as
 * esp_ota_set_boot_partition's verification would refuse a slot without an image.
 */
import { otaState, partitions } from "./hardware";

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
