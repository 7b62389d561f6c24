/*
 * The `flash` module for the Linux simulator: the SDK's flash API (modules/files/flash on ESP32: a partition by
 * name, erase/read/write, byteLength, blockSize) over one file per partition in `<simDir>`, so the store and the OTA
 * slot survive a restart of the simulator as they survive a reboot of the board.
 *
 * NOR rules are kept: a new file is all 0xFF (erased), erase sets a 4 KiB sector to 0xFF, and a write can only
 * clear bits (the file gets old AND new), as on the ESP32's SPI flash. Partition sizes are those of
 * boards/esp32-rs485/sdkconfig/partitions.csv.
 */

import config from "mc/config";
import { File } from "file";

const SECTOR = 4096;
const PARTITIONS = Object.freeze({
	store: 96 * SECTOR,
	nextota: 1792 * 1024,
	running: 1792 * 1024
});

export default class Flash {
	#path;
	#size;

	constructor(partition) {
		const size = PARTITIONS[partition];
		if (undefined === size)
			throw new Error(`flash: no partition "${partition}" in the simulator's table`);
		this.#path = config.simDir + partition + ".flash";
		this.#size = size;
		const file = new File(this.#path, true);
		let length = file.length;
		if (length > size)
			throw new Error(`flash: ${this.#path} is ${length} bytes, larger than partition "${partition}" (${size})`);
		if (length < size) {
			const erased = new Uint8Array(SECTOR).fill(0xFF).buffer;
			file.position = length;
			while (length < size) {
				const n = Math.min(SECTOR, size - length);
				file.write(n === SECTOR ? erased : erased.slice(0, n));
				length += n;
			}
		}
		file.close();
	}

	get byteLength() {
		return this.#size;
	}

	get blockSize() {
		return SECTOR;
	}

	erase(sector) {
		if (!(sector >= 0 && sector < this.#size / SECTOR))
			throw new RangeError(`flash erase: sector ${sector} outside the partition`);
		const file = new File(this.#path, true);
		file.position = sector * SECTOR;
		file.write(new Uint8Array(SECTOR).fill(0xFF).buffer);
		file.close();
	}

	read(offset, byteLength) {
		this.#check(offset, byteLength);
		const file = new File(this.#path);
		file.position = offset;
		const result = byteLength ? file.read(ArrayBuffer, byteLength) : new ArrayBuffer(0);
		file.close();
		return result;
	}

	write(offset, byteLength, buffer) {
		this.#check(offset, byteLength);
		if (!byteLength)
			return;
		const source = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, byteLength) : new Uint8Array(buffer, 0, byteLength);
		const file = new File(this.#path, true);
		file.position = offset;
		const cells = new Uint8Array(file.read(ArrayBuffer, byteLength));
		for (let i = 0; i < byteLength; i++)
			cells[i] &= source[i];
		file.position = offset;
		file.write(cells.buffer);
		file.close();
	}

	#check(offset, byteLength) {
		if (!(offset >= 0 && byteLength >= 0 && offset + byteLength <= this.#size))
			throw new RangeError(`flash: range ${offset}+${byteLength} outside the ${this.#size}-byte partition`);
	}
}
