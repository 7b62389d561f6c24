/**
 * Run code in the real XS engine (@agoric/xsnap): the same bundle that ships, with deterministic step counts
 * (`compute`) and heap-slot counts (`currentHeapCount`, slots allocated since the last GC).
 */
import "@endo/init";
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import * as fsPromises from "node:fs/promises";
import * as os from "node:os";
import { xsnap } from "@agoric/xsnap";
import tmp from "tmp";

export interface XsRun {
  /** XS steps the evaluation took: identical run to run and machine to machine. */
  compute: number;
  /** Heap slots in use at the end (live after the last gc() plus allocated since). */
  heapSlots: number;
  /**
   * Bytes the engine has taken from the system for slots and chunks (XS `allocatedSpace`): a high-water mark that
   * only grows, not live use (xsnap reports no live chunk figure).
   */
  allocatedBytes: number;
  /** Messages the code sent with issueCommand, parsed as JSON. */
  replies: unknown[];
}

export interface XsWorker {
  /** Evaluate a script; returns its meter figures and the replies it sent. Throws with the XS error message. */
  run(code: string): Promise<XsRun>;
  /** Evaluate `fn-call` twice (with `baseline` and `measured`) after a gc() each: the differences are the cost. */
  measure(baseline: string, measured: string): Promise<{ steps: number; heapSlots: number }>;
  close(): Promise<void>;
}

export async function startXs(options: { echo?: boolean } = {}): Promise<XsWorker> {
  let replies: unknown[] = [];
  const decoder = new TextDecoder();
  const worker = await xsnap({
    name: "gateway-xs",
    spawn,
    os: os.type(),
    fs: { ...fsPromises, createReadStream, tmpName: tmp.tmpName },
    meteringLimit: 0,
    stdout: options.echo ? "inherit" : "ignore",
    stderr: "inherit",
    handleCommand: async (message: Uint8Array) => {
      replies.push(JSON.parse(decoder.decode(message)));
      return new Uint8Array(0);
    },
  });
  const run = async (code: string): Promise<XsRun> => {
    replies = [];
    const result = await worker.evaluate(code);
    return {
      compute: Number(result.meterUsage.compute),
      heapSlots: Number(result.meterUsage.currentHeapCount),
      allocatedBytes: Number(result.meterUsage.allocate),
      replies,
    };
  };
  return {
    run,
    async measure(baseline, measured) {
      // Each figure is taken relative to a gc() run just before it: the worker itself keeps a couple of slots per
      // evaluation, so only "slots since the last collection" compare between two runs.
      const afterGcBase = (await run("gc()")).heapSlots;
      const base = await run(baseline);
      const afterGcFull = (await run("gc()")).heapSlots;
      const full = await run(measured);
      const heapSlots = full.heapSlots - afterGcFull - (base.heapSlots - afterGcBase);
      return { steps: full.compute - base.compute, heapSlots };
    },
    async close() {
      await worker.close();
    },
  };
}

/** Load a script file (a bundle) into a fresh worker. */
export async function startXsWithScript(path: string, options: { echo?: boolean } = {}): Promise<{ xs: XsWorker; boot: XsRun }> {
  const xs = await startXs(options);
  const source = await fsPromises.readFile(path, "utf8");
  const boot = await xs.run(source);
  return { xs, boot };
}

/**
 * Bundle a TypeScript entry (and everything it imports) into one script for XS with esbuild, the same transpiler
 * the device build uses. For module-level XS tests and benchmarks: the entry sets `globalThis.<name>` to whatever
 * the host should drive.
 */
export async function bundleForXs(entryPath: string): Promise<string> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [entryPath],
    bundle: true,
    format: "iife",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/** A fresh worker with `entryPath` bundled and loaded. */
export async function startXsWithEntry(entryPath: string, options: { echo?: boolean } = {}): Promise<{ xs: XsWorker; boot: XsRun }> {
  const xs = await startXs(options);
  const boot = await xs.run(await bundleForXs(entryPath));
  return { xs, boot };
}
