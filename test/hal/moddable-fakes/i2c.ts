/** `embedded:io/i2c` on ESP32 (modules/io/i2c/i2c_async.js): imported by the board's host provider, not used by the HAL. */
class I2C {
  constructor(_options: unknown) {
    throw new Error("fake i2c: not modelled (the HAL does not use it)");
  }
  close(): void {}
}

export default I2C;
