/** `embedded:io/digitalbank` (modules/io/digital/digitalbank.js): imported by the board's host provider, not used by the HAL. */
class DigitalBank {
  static readonly Input = 0;
  static readonly InputPullUp = 1;
  static readonly InputPullDown = 2;
  static readonly InputPullUpDown = 3;
  static readonly Output = 8;
  static readonly OutputOpenDrain = 9;
  static readonly ActiveLow = 16;
  constructor(_options: unknown) {
    throw new Error("fake digitalbank: not modelled (the HAL does not use it)");
  }
  read(): number {
    return 0;
  }
  write(_value: number): void {}
  close(): void {}
  get format(): "number" {
    return "number";
  }
}

export default DigitalBank;
