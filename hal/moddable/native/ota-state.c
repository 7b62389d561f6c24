/*
 * esp32/ota-state: the ESP-IDF app-rollback calls the Moddable SDK's `ota` module does not expose.
 *
 * Needs CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y (boards/esp32-rs485/sdkconfig/sdkconfig.defaults): then a new image
 * boots in ESP_OTA_IMG_PENDING_VERIFY and, unless markValid() is called before the next reset, the bootloader
 * returns to the previous image. Without that option nothing is ever pending and no rollback happens.
 *
 * Written against the ESP-IDF v5/v6 API (esp_ota_ops.h); not compiled in this repository (no ESP-IDF here).
 */

#include "xsmc.h"
#include "xsHost.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"

/* pendingVerify(): true when the running image awaits confirmation. */
void xs_ota_state_pending_verify(xsMachine *the)
{
	esp_ota_img_states_t state;
	const esp_partition_t *running = esp_ota_get_running_partition();
	int pending = running && (ESP_OK == esp_ota_get_state_partition(running, &state)) && (ESP_OTA_IMG_PENDING_VERIFY == state);
	xsmcSetBoolean(xsResult, pending);
}

/* markValid(): confirm the running image; rollback is cancelled. */
void xs_ota_state_mark_valid(xsMachine *the)
{
	esp_err_t err = esp_ota_mark_app_valid_cancel_rollback();
	if (ESP_OK != err)
		xsUnknownError("ota-state: mark valid failed (%d)", (int)err);
}

/* rollback(): mark the running image invalid and reboot into the previous one. Returns only on failure. */
void xs_ota_state_rollback(xsMachine *the)
{
	esp_err_t err = esp_ota_mark_app_invalid_rollback_and_reboot();
	xsUnknownError("ota-state: rollback failed, no other valid image (%d)", (int)err);
}

/* bootNext(): verify the image in the next OTA slot (checksum, SHA-256) and make it the boot partition. */
void xs_ota_state_boot_next(xsMachine *the)
{
	const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
	esp_err_t err;

	if (NULL == next)
		xsUnknownError("ota-state: no OTA app partition");
	err = esp_ota_set_boot_partition(next);
	if (ESP_ERR_OTA_VALIDATE_FAILED == err)
		xsUnknownError("ota-state: the new image does not verify");
	if (ESP_OK != err)
		xsUnknownError("ota-state: setting the boot partition failed (%d)", (int)err);
}

/*
 * retryRunning(): select the running (pending) slot as boot partition again. The otadata entry is rewritten in
 * state NEW, so the next boot tries the image once more, pending verify again, instead of rolling back.
 */
void xs_ota_state_retry_running(xsMachine *the)
{
	const esp_partition_t *running = esp_ota_get_running_partition();
	esp_err_t err;

	if (NULL == running)
		xsUnknownError("ota-state: no running partition");
	err = esp_ota_set_boot_partition(running);
	if (ESP_OK != err)
		xsUnknownError("ota-state: retry failed (%d)", (int)err);
}
