/** `embedded:io/analog` on ESP32 (modules/io/analog/esp32/_analog.js): imported by the board's host provider, not used by the HAL. */
class Analog {
  constructor(_options: unknown) {
    throw new Error("fake analog: not modelled (the HAL does not use it)");
  }
  close(): void {}
}

export default Analog;
