/*
 * The RS-485 port of the Linux simulator: the Linux serial module (modules/io/serial/lin: a tty by `device` path,
 * "buffer" format only, onWritable once a whole write has gone) behind the ESP32 serial's interface as
 * hal/moddable/serial.ts uses it ("number" format: read() one byte or undefined, write(byte) into a 128-byte TX
 * FIFO that throws when full, onWritable(free bytes) as the FIFO drains, once at open). So the device HAL's RS-485
 * code runs unchanged in the simulator; only this module knows the difference.
 *
 * A tty has no baud timing of its own: bytes queued in one turn leave together on the next.
 */

import Serial from "embedded:io/serial";
import Timer from "timer";

const FIFO_BYTES = 128;
/** A Modbus RTU ADU is at most 256 bytes, and the master reads every turn. */
const RX_BYTES = 256;

export default class Rs485Tty {
	#serial;
	#onReadable;
	#onWritable;
	#rx = new Uint8Array(RX_BYTES);
	#rxStart = 0;
	#rxCount = 0;
	#tx = new Uint8Array(FIFO_BYTES);
	#txCount = 0;
	#drainArmed = false;
	#closed = false;

	constructor(options) {
		this.#onReadable = options.onReadable;
		this.#onWritable = options.onWritable;
		this.#serial = new Serial({
			device: options.device,
			baud: options.baud,
			format: "buffer",
			onReadable: () => this.#pull(),
			onWritable: () => this.#drained()
		});
	}

	get format() {
		return "number";
	}

	set format(value) {
		if ("number" !== value)
			throw new Error(`rs485-tty: only "number" format, got ${value}`);
	}

	read() {
		if (0 === this.#rxCount)
			return undefined;
		const value = this.#rx[this.#rxStart];
		this.#rxStart = (this.#rxStart + 1) % RX_BYTES;
		this.#rxCount--;
		return value;
	}

	write(value) {
		if (this.#txCount >= FIFO_BYTES)
			throw new Error("output full");
		this.#tx[this.#txCount++] = value;
		if (!this.#drainArmed) {
			this.#drainArmed = true;
			Timer.set(() => this.#drain());
		}
	}

	close() {
		if (this.#closed)
			return;
		this.#closed = true;
		this.#serial.close();
	}

	#pull() {
		if (this.#closed)
			return;
		const data = this.#serial.read();
		if (!data)
			return;
		const bytes = new Uint8Array(data);
		for (let i = 0; i < bytes.length; i++) {
			if (this.#rxCount === RX_BYTES)
				break;		// overrun: a real UART loses these bytes too; the Modbus CRC then fails
			this.#rx[(this.#rxStart + this.#rxCount) % RX_BYTES] = bytes[i];
			this.#rxCount++;
		}
		this.#onReadable?.(this.#rxCount);
	}

	#drain() {
		this.#drainArmed = false;
		if (this.#closed || 0 === this.#txCount)
			return;
		const out = this.#tx.slice(0, this.#txCount).buffer;
		this.#txCount = 0;
		this.#serial.write(out);
	}

	#drained() {
		if (!this.#closed)
			this.#onWritable?.(FIFO_BYTES - this.#txCount);
	}
}
