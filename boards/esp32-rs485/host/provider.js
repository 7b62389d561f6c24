/*
 * ECMA-419 host provider of the esp32-rs485 board (module "embedded:provider/builtin"): its pins by name.
 *
 * ESP32-WROOM-32 (4 MB flash, no PSRAM: GPIO16/17 are free), an RS-485 transceiver (MAX3485/SP3485 class, 3.3 V)
 * on UART2 with DE and /RE tied together on GPIO4, a status LED on GPIO2. UART0 stays the console and xsbug link.
 * hal/moddable reads Serial.rs485 (with our driverEnable fields) and pin.led; see docs/boards.md.
 */

import Analog from "embedded:io/analog";
import Digital from "embedded:io/digital";
import DigitalBank from "embedded:io/digitalbank";
import I2C from "embedded:io/i2c";
import PWM from "embedded:io/pwm";
import Serial from "embedded:io/serial";

const device = {
	Serial: {
		rs485: {
			io: Serial,
			port: 2,
			transmit: 17,
			receive: 16,
			driverEnable: 4,
			driverEnableActiveLow: false
		}
	},
	I2C: {
		default: {
			io: I2C,
			data: 21,
			clock: 22
		}
	},
	io: { Analog, Digital, DigitalBank, I2C, PWM, Serial },
	pin: {
		led: 2,
		rs485DriverEnable: 4,
		button: 0
	}
};

export default device;
