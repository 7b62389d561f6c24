/**
 * Bundle an entry for the real XS engine with every Moddable module replaced by its fake (this folder), and
 * `mc/config` by the given configuration object: how tests run hal/moddable, and the device bundle itself, in XS.
 */
import { fileURLToPath } from "node:url";

const fakes = fileURLToPath(new URL(".", import.meta.url));

/** Moddable module specifiers -> the fake that stands in for each. */
const FAKE_MODULES: Record<string, string> = {
  timer: "timer.ts",
  time: "time.ts",
  flash: "flash.ts",
  instrumentation: "instrumentation.ts",
  system: "system.ts",
  "embedded:io/serial": "serial.ts",
  "embedded:io/digital": "digital.ts",
  "embedded:io/socket/tcp": "tcp.ts",
  "embedded:io/socket/tcp/tls": "tls.ts",
  "embedded:provider/builtin": "provider.ts",
  "esp32/ota-state": "ota-state.ts",
  "esp32/hal-native": "hal-native.ts",
};

export async function bundleWithFakes(entryPath: string, mcConfig: unknown = {}): Promise<string> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [entryPath],
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
          build.onLoad({ filter: /.*/, namespace: "mc-config" }, () => ({ contents: `export default ${JSON.stringify(mcConfig)};`, loader: "js" }));
          build.onResolve({ filter: /^(timer|time|flash|instrumentation|system|embedded:.*|esp32\/.*)$/ }, (args) => {
            const fake = FAKE_MODULES[args.path];
            if (!fake) return { errors: [{ text: `no fake for Moddable module "${args.path}"` }] };
            return { path: fakes + fake };
          });
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}
