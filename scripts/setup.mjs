#!/usr/bin/env node
// Idempotent set-up run before `npm start`, `npm test` and `npm run bench` on any machine, fresh or not:
//  1. installs the locked dependencies when node_modules is missing or older than the lockfile;
//  2. builds the XS engine worker of @agoric/xsnap when its binary is missing (npm 11 may skip install scripts);
// Plain Node only: it must run before any dependency exists.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = (command) => execSync(command, { cwd: root, stdio: "inherit" });

const marker = join(root, "node_modules", ".package-lock.json");
const lock = join(root, "package-lock.json");
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  console.log("setup: installing dependencies (npm ci)");
  run("npm ci --no-audit --no-fund");
}

const worker = join(root, "node_modules/@agoric/xsnap/xsnap-native/xsnap/build/bin/lin/release/xsnap-worker");
if (!existsSync(worker)) {
  console.log("setup: building the XS engine (@agoric/xsnap worker, about 30 s)");
  run("npm --prefix node_modules/@agoric/xsnap run build:from-env");
}
