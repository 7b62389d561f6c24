// Two bundles from one core:
//  - dist/device/gateway.js: the device bundle (one ES module exporting start(); Moddable specifiers external),
//    listed in manifest.json as module "gateway".
//  - dist/xs/app.js: the same core on the simulated HAL, as a script for the real XS engine (@agoric/xsnap) used by
//    tests and benchmarks.
import { readFileSync } from "node:fs";
import esbuild from "rollup-plugin-esbuild";

/**
 * Modules that only exist on Moddable, resolved by mcconfig and never bundled: exactly those of
 * hal/moddable/sdk-exports.json, the list test/hal/sdk-imports.test.ts checks the bundle's imports against.
 */
const SDK_MODULES = new Set(Object.keys(JSON.parse(readFileSync(new URL("./hal/moddable/sdk-exports.json", import.meta.url), "utf8")).modules));
const moddableExternal = (id) => SDK_MODULES.has(id);

const plugins = () => [esbuild({ target: "es2022", tsconfig: "tsconfig.json", minify: false, sourceMap: false })];

export default [
  {
    input: "src/app/device.ts",
    external: moddableExternal,
    output: { file: "dist/device/gateway.js", format: "es" },
    plugins: plugins(),
  },
  {
    input: "test/xs/app-entry.ts",
    output: { file: "dist/xs/app.js", format: "iife" },
    plugins: plugins(),
  },
];
