import { PROPERTY_COUNT, type SettingValue } from "./registry";

/** No desired version attached (a direct set, or a value that is not a desired value). */
export const NO_VERSION = -1;

/**
 * A set of property changes being staged for one commit, indexed like PROPERTIES. Allocated once and cleared per
 * use, so staging a command does not allocate tables.
 */
export class ChangeSet {
  readonly present = new Uint8Array(PROPERTY_COUNT);
  readonly values: SettingValue[] = new Array<SettingValue>(PROPERTY_COUNT).fill(0);
  /** Desired version carried by each value, or NO_VERSION. */
  readonly versions = new Float64Array(PROPERTY_COUNT).fill(NO_VERSION);
  count = 0;

  clear(): void {
    this.present.fill(0);
    this.versions.fill(NO_VERSION);
    this.count = 0;
  }

  put(index: number, value: SettingValue, version: number): void {
    if (this.present[index] === 0) this.count++;
    this.present[index] = 1;
    this.values[index] = value;
    this.versions[index] = version;
  }

  remove(index: number): void {
    if (this.present[index] === 0) return;
    this.present[index] = 0;
    this.versions[index] = NO_VERSION;
    this.count--;
  }

  has(index: number): boolean {
    return this.present[index] === 1;
  }
}
