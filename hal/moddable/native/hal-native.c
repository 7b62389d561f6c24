/*
 * esp32/hal-native: the ESP32 hardware RNG into a caller's buffer, and the task watchdog timeout.
 *
 * Written against the ESP-IDF v5/v6 API; not compiled in this repository (no ESP-IDF here).
 */

#include "xsmc.h"
#include "xsHost.h"
#include "esp_random.h"
#include "sdkconfig.h"
#if CONFIG_ESP_TASK_WDT_EN
	#include "esp_task_wdt.h"
#endif

/* fillRandom(buffer, offset, length): esp_fill_random into buffer[offset, offset + length), no allocation. */
void xs_hal_fill_random(xsMachine *the)
{
	void *data;
	xsUnsignedValue byteLength;
	xsIntegerValue offset = xsmcToInteger(xsArg(1));
	xsIntegerValue length = xsmcToInteger(xsArg(2));

	xsmcGetBufferWritable(xsArg(0), &data, &byteLength);
	if ((offset < 0) || (length < 0) || ((xsUnsignedValue)(offset + length) > byteLength))
		xsRangeError("fillRandom: range outside the buffer");
	esp_fill_random((uint8_t *)data + offset, (size_t)length);
}

/*
 * taskWatchdog(timeoutMs): set the task watchdog timeout, panic (and reset) on expiry. The Moddable main task is
 * subscribed at start-up when the watchdog is enabled, and the runtime feeds it between messages, so this catches
 * one JS turn that never ends. Returns false when the build has the task watchdog disabled.
 */
void xs_hal_task_watchdog(xsMachine *the)
{
#if CONFIG_ESP_TASK_WDT_EN
	esp_task_wdt_config_t config = {
		.timeout_ms = (uint32_t)xsmcToInteger(xsArg(0)),
		.idle_core_mask = 0,
		.trigger_panic = true,
	};
	xsmcSetBoolean(xsResult, ESP_OK == esp_task_wdt_reconfigure(&config));
#else
	xsmcSetBoolean(xsResult, 0);
#endif
}
