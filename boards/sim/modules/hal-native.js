/*
 * esp32/hal-native for the Linux simulator (the ESP32 one is hal/moddable/native/hal-native.c).
 *
 * fillRandom: Math.random, which is NOT cryptographic: the simulator is for development, never for a site.
 * taskWatchdog: the simulator has no task watchdog; false makes the HAL keep its software supervisor only, and say so.
 */

export function fillRandom(buffer, offset, length) {
	for (let i = 0; i < length; i++)
		buffer[offset + i] = (Math.random() * 256) | 0;
}

export function taskWatchdog(timeoutMs) {
	return false;
}
