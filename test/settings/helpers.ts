/** Shared set-up for settings tests: a Settings over a chosen persistence with a capturing listener. */
import type { Log, LogLevel } from "../../hal/types";
import { DEFAULT_CONFIG, resolveConfig, type GatewayConfig } from "../../src/config/gateway-config";
import { Counters } from "../../src/core/counters";
import type { SettingsPersistence } from "../../src/settings/persistence";
import { contextFromConfig, defaultSettings, type PropertyName, type SettingsValues } from "../../src/settings/registry";
import { Settings, type SettingsListener } from "../../src/settings/settings";
import { checkTimezone } from "../../src/settings/timezone";

export class CapturingLog implements Log {
  readonly lines: string[] = [];
  write(level: LogLevel, source: string, message: string): void {
    this.lines.push(`${"EWID"[level]} ${source}: ${message}`);
  }
}

export class CapturingListener implements SettingsListener {
  readonly calls: { changed: PropertyName[]; values: SettingsValues }[] = [];
  settingsChanged(values: Readonly<SettingsValues>, changed: readonly PropertyName[]): void {
    this.calls.push({ changed: [...changed], values: { ...values } });
  }
}

export function makeSettings(persistence: SettingsPersistence, config: GatewayConfig = resolveConfig(DEFAULT_CONFIG)) {
  const counters = new Counters();
  const log = new CapturingLog();
  const settings = new Settings(contextFromConfig(config, checkTimezone), defaultSettings(config), persistence, counters, log);
  const listener = new CapturingListener();
  settings.setListener(listener);
  settings.load();
  return { settings, counters, log, listener };
}
