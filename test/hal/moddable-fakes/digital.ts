/**
 * `embedded:io/digital` on ESP32 (modules/io/digital/digital.js over digitalbank.js and digital/esp32): the mode
 * constants of DigitalBank, a pin taken until close ("in use" for a second owner, the serial's pins included),
 * "invalid pin" outside the chip's GPIOs, "input only" for an output on GPIO 34-39. The Linux simulator has no
 * such module (modules/io/digital/manifest.json: "lin": {}).
 */
import { pinLog } from "./hardware";
import { world } from "./world";

/** ESP32 (WROOM/WROVER) GPIOs: 0-39 less those that do not exist. */
function validPin(pin: number): boolean {
  return Number.isInteger(pin) && pin >= 0 && pin <= 39 && pin !== 20 && pin !== 24 && !(pin >= 28 && pin <= 31);
}

class Digital {
  static readonly Input = 0;
  static readonly InputPullUp = 1;
  static readonly InputPullDown = 2;
  static readonly InputPullUpDown = 3;
  static readonly Output = 8;
  static readonly OutputOpenDrain = 9;
  static readonly ActiveLow = 16;
  static readonly Rising = 1;
  static readonly Falling = 2;
  private pin: number;
  private readonly output: boolean;

  constructor(options: { pin: number; mode: number }) {
    const pin = options.pin;
    if (pin === undefined) throw new Error("invalid");
    if (!validPin(pin)) throw new Error("invalid pin");
    if (!world.pinFree(pin)) throw new Error("in use");
    const mode = options.mode;
    if (mode === undefined) throw new Error("invalid");
    if (!((mode >= 0 && mode <= 3) || mode === 8 || mode === 9)) throw new RangeError("invalid mode");
    if ((mode === 8 || mode === 9) && pin >= 34) throw new RangeError("input only");
    world.usePin(pin);
    this.pin = pin;
    this.output = mode === 8 || mode === 9;
  }
  write(value: 0 | 1): void {
    if (this.pin < 0) throw new TypeError("fake digital: closed");
    if (!this.output) throw new Error("fake digital: write to an input");
    const log = pinLog;
    const at = log.count++ % 256;
    log.pins[at] = this.pin;
    log.values[at] = Number(value) ? 1 : 0;
    log.times[at] = world.now;
  }
  read(): 0 | 1 {
    if (this.pin < 0) throw new TypeError("fake digital: closed");
    return 0;
  }
  close(): void {
    if (this.pin < 0) return;
    world.freePin(this.pin);
    this.pin = -1;
  }
  get format(): "number" {
    return "number";
  }
  set format(value: "number") {
    if (value !== "number") throw new RangeError();
  }
}

export default Digital;
