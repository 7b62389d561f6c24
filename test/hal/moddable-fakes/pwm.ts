/** `embedded:io/pwm` on ESP32 (modules/io/pwm/esp32/_pwm.js): imported by the board's host provider, not used by the HAL. */
class PWM {
  constructor(_options: unknown) {
    throw new Error("fake pwm: not modelled (the HAL does not use it)");
  }
  close(): void {}
}

export default PWM;
