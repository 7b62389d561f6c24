/*
 * esp32/ota-state for the Linux simulator (the ESP32 one is hal/moddable/native/ota-state.c).
 *
 * The simulator runs one image and cannot boot another: bootNext() records that an image was completed (the
 * firmware then asks to restart, which the simulator cannot do), so an OTA download runs through writing,
 * hashing and verification exactly as on the board, and stops short of the reboot. The running image is never
 * pending verification; rollback() throws, as esp_ota_mark_app_invalid_rollback_and_reboot() does on failure.
 */

import config from "mc/config";
import { File } from "file";

const STATE_FILE = config.simDir + "ota-state";

function record(text) {
	const file = new File(STATE_FILE, true);
	const bytes = ArrayBuffer.fromString(text + "\n");
	file.position = file.length;
	file.write(bytes);
	file.close();
}

export function pendingVerify() {
	return false;
}

export function markValid() {
	record("valid");
}

export function rollback() {
	throw new Error("ota-state: the simulator cannot roll back (it runs one image)");
}

export function bootNext() {
	record("boot-next");
}

export function retryRunning() {
	record("retry-running");
}
