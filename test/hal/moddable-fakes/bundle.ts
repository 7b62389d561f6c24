/**
 * Bundle an entry for the real XS engine with every Moddable module replaced by what stands in for it on one
 * platform, the way the SDK would link it:
 *  - "esp32": fakes of the SDK's ESP32 modules (this folder) and of our native modules (hal/moddable/native), and
 *    the board's own host provider (boards/esp32-rs485/host/provider.js) over the fake IO classes;
 *  - "lin" (the SDK's Linux simulator): fakes of the SDK's Linux modules, and boards/sim's modules as they are
 *    (host provider, rs485-tty, flash, ota-state, hal-native) over them.
 * A specifier that is not a module on that platform fails the bundle, as it fails mcconfig's link; so does a
 * default or named import the module does not export (esbuild checks them as xsl does).
 *
 * As the preload does at build time, the `system` module's body (which installs the `System` global and exports
 * nothing) runs before the entry. `mc/config` is the given object, deep-frozen like mcconfig's generated module.
 * hal/moddable/sdk-exports.json lists the modules and their exports per platform; test/hal/sdk-exports.test.ts
 * checks this table against it.
 */
import { fileURLToPath } from "node:url";

export type FakePlatform = "esp32" | "lin";

const fakes = fileURLToPath(new URL(".", import.meta.url));
const repo = fileURLToPath(new URL("../../../", import.meta.url));

/** Module specifier -> file standing in for it, per platform; "mc/config" is generated from the test's object. */
export const FAKE_MODULES: Record<FakePlatform, Record<string, string>> = {
  esp32: {
    "mc/config": "(generated)",
    timer: fakes + "timer.ts",
    time: fakes + "time-esp32.ts",
    instrumentation: fakes + "instrumentation.ts",
    flash: fakes + "flash.ts",
    system: fakes + "system-esp32.ts",
    "embedded:io/serial": fakes + "serial-esp32.ts",
    "embedded:io/digital": fakes + "digital.ts",
    "embedded:io/digitalbank": fakes + "digitalbank.ts",
    "embedded:io/analog": fakes + "analog.ts",
    "embedded:io/i2c": fakes + "i2c.ts",
    "embedded:io/pwm": fakes + "pwm.ts",
    "embedded:io/socket/tcp": fakes + "tcp.ts",
    "embedded:io/socket/tcp/tls": fakes + "tls.ts",
    crypt: fakes + "crypt.ts",
    Resource: fakes + "resource.ts",
    "embedded:provider/builtin": repo + "boards/esp32-rs485/host/provider.js",
    "esp32/ota-state": fakes + "ota-state.ts",
    "esp32/hal-native": fakes + "hal-native.ts",
  },
  lin: {
    "mc/config": "(generated)",
    timer: fakes + "timer.ts",
    time: fakes + "time-lin.ts",
    instrumentation: fakes + "instrumentation.ts",
    file: fakes + "file.ts",
    system: fakes + "system-lin.ts",
    "embedded:io/serial": fakes + "serial-lin.ts",
    "embedded:io/socket/tcp": fakes + "tcp.ts",
    "embedded:io/socket/tcp/tls": fakes + "tls.ts",
    crypt: fakes + "crypt.ts",
    Resource: fakes + "resource.ts",
    "embedded:provider/builtin": repo + "boards/sim/host/provider.js",
    "sim/rs485-tty": repo + "boards/sim/modules/rs485-tty.js",
    flash: repo + "boards/sim/modules/flash.js",
    "esp32/ota-state": repo + "boards/sim/modules/ota-state.js",
    "esp32/hal-native": repo + "boards/sim/modules/hal-native.js",
  },
};

export interface BundleOptions {
  /** Default "esp32". */
  platform?: FakePlatform;
}

/** A bare specifier: what the Moddable linker resolves from the manifest (everything else is a path). */
const BARE = /^[^./]/;

export async function bundleWithFakes(entryPath: string, mcConfig: unknown = {}, options: BundleOptions = {}): Promise<string> {
  const platform = options.platform ?? "esp32";
  const modules = FAKE_MODULES[platform];
  const esbuild = await import("esbuild");
  const entry = [`import ${JSON.stringify(fakes + "xs-host.ts")};`, `import "system";`, `import ${JSON.stringify(entryPath)};`].join("\n");
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: fakes, sourcefile: `fake-${platform}-entry.js`, loader: "js" },
    bundle: true,
    format: "iife",
    target: "es2022",
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "moddable-fakes",
        setup(build) {
          build.onResolve({ filter: /^mc\/config$/ }, () => ({ path: "mc/config", namespace: "mc-config" }));
          build.onLoad({ filter: /.*/, namespace: "mc-config" }, () => ({
            contents: `export default Object.freeze(${JSON.stringify(mcConfig)}, true);`,
            loader: "js",
          }));
          build.onResolve({ filter: BARE }, (args) => {
            const file = modules[args.path];
            if (!file) return { errors: [{ text: `module "${args.path}" does not exist on ${platform} (imported by ${args.importer})` }] };
            return { path: file };
          });
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}
