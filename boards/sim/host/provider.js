/*
 * ECMA-419 host provider of the Linux simulator board (module "embedded:provider/builtin"), in the same shape as
 * boards/esp32-rs485/host/provider.js so hal/moddable reads both the same way.
 *
 * The simulator has no GPIO: no `io.Digital`, no LED, and the RS-485 port has no driver-enable pin. Its bus is a tty
 * (a pseudo-terminal made by `npm run moddable:sim`, the simulated site on its other end) at `<simDir>rs485`,
 * opened through sim/rs485-tty, which gives the Linux serial module the ESP32 serial's FIFO behaviour.
 */

import config from "mc/config";
import Rs485Tty from "sim/rs485-tty";

const device = Object.freeze({
	Serial: {
		rs485: {
			io: Rs485Tty,
			device: config.simDir + "rs485"
		}
	},
	io: { Serial: Rs485Tty },
	pin: {}
}, true);

export default device;
