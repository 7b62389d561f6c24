/**
 * One run of the app built for the SDK's Linux simulator (`mcsim`), headless under Xvfb (`xvfb-run -a` picks a free
 * display), with the xsbug listener as its debugger peer: log lines and breaks are streamed, instrumentation samples
 * are kept, and `stop()` ends the run and returns the memory figures against the budget.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Server } from "node:net";
import type { Creation } from "./build";
import { listenForXsbug, type Instruments } from "./xsbug-listener";

/** sizeof(txSlot) on a 64-bit host: the simulator's slots are 32 bytes (16 on the ESP32); budgets count slots. */
export const HOST_SLOT_BYTES = 32;

export interface SimEvents {
  breakOnExceptions?: boolean;
  onLog?(line: string): void;
  onBreak?(where: string, message: string, frames: string[]): void;
}

export interface MemoryFigure {
  /** Latest sample. */
  used: number;
  /** Largest sample seen (a sample is taken once a second: a lower bound of the true peak). */
  peak: number;
  budget: number;
  /** Percent of the budget free at the peak. */
  headroomPercent: number;
}

export interface SimStatus {
  ran_s: number;
  connected: boolean;
  exited: string | null;
  breaks: number;
  aborted: boolean;
  slots: MemoryFigure;
  chunkBytes: MemoryFigure;
  /** Stack slots: XS reports the deepest the stack has been (a true peak). */
  stackSlots: MemoryFigure;
  keys: number | null;
  garbageCollections: number | null;
  modulesLoaded: number | null;
}

function figure(used: number, peak: number, budget: number): MemoryFigure {
  return { used, peak, budget, headroomPercent: budget > 0 ? Math.round(((budget - peak) / budget) * 1000) / 10 : 0 };
}

export class SimRun {
  private readonly started = Date.now();
  private connectedOnce = false;
  private breakCount = 0;
  private abortSeen = false;
  private exitReason: string | null = null;
  private peaks = { chunk: 0, slot: 0, stack: 0 };
  private latest: Instruments = {};
  private readonly exitWaiters: (() => void)[] = [];
  private stopped = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly server: Server,
    private readonly creation: Creation,
  ) {}

  static async start(soPath: string, simulator: string, creation: Creation, events: SimEvents = {}): Promise<SimRun> {
    let run: SimRun | null = null;
    const { server, port } = await listenForXsbug(
      0,
      {
        breakOnExceptions: events.breakOnExceptions,
        onLogin: () => {
          if (run) run.connectedOnce = true;
        },
        onLog: (line) => {
          if (run && /XS abort/.test(line)) run.abortSeen = true;
          events.onLog?.(line);
        },
        onBreak: (where, message, frames) => {
          if (run) run.breakCount++;
          events.onBreak?.(where, message, frames);
        },
        onSamples: (values) => run?.sample(values),
      },
      () => {},
    );
    // Known limit: the SDK's Linux TCP module writes with write(), and its debugger connection (xs/platforms/lin_xs.c)
    // sets SIGPIPE back to the default, so a write to a socket the peer has closed kills the simulator (exit 141);
    // it cannot be ignored from outside. lwIP on the ESP32 has no such signal.
    const child = spawn("xvfb-run", ["-a", "-s", "-screen 0 640x480x24", simulator, soPath], {
      env: { ...process.env, XSBUG_HOST: "127.0.0.1", XSBUG_PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    run = new SimRun(child, server, creation);
    const r = run;
    child.stdout?.on("data", (data: Buffer) => String(data).split("\n").filter(Boolean).forEach((line) => events.onLog?.(`[mcsim] ${line}`)));
    child.stderr?.on("data", (data: Buffer) =>
      String(data)
        .split("\n")
        .filter((line) => line && !/Gtk-WARNING|dbind-WARNING|GLib-GIO|^\s*$/.test(line))
        .forEach((line) => events.onLog?.(`[mcsim] ${line}`)),
    );
    child.on("exit", (code, signal) => {
      r.exitReason = signal ? `signal ${signal}` : `exit code ${code}`;
      for (const waiter of r.exitWaiters.splice(0)) waiter();
    });
    return run;
  }

  private sample(values: Instruments): void {
    this.latest = { ...values };
    const chunk = values["Chunk used"] ?? 0;
    const slot = values["Slot used"] ?? 0;
    const stack = values["Stack used"] ?? 0;
    if (chunk > this.peaks.chunk) this.peaks.chunk = chunk;
    if (slot > this.peaks.slot) this.peaks.slot = slot;
    if (stack > this.peaks.stack) this.peaks.stack = stack;
  }

  get running(): boolean {
    return this.exitReason === null;
  }

  /** Resolves after `ms`, or earlier when the simulator exits. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (!this.running) return resolve();
      const timer = setTimeout(resolve, ms);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  status(): SimStatus {
    const v = this.latest;
    const c = this.creation;
    return {
      ran_s: Math.round((Date.now() - this.started) / 100) / 10,
      connected: this.connectedOnce,
      exited: this.exitReason,
      breaks: this.breakCount,
      aborted: this.abortSeen,
      slots: figure(Math.round((v["Slot used"] ?? 0) / HOST_SLOT_BYTES), Math.round(this.peaks.slot / HOST_SLOT_BYTES), c.heap.initial),
      chunkBytes: figure(v["Chunk used"] ?? 0, this.peaks.chunk, c.chunk.initial),
      stackSlots: figure(Math.round((v["Stack used"] ?? 0) / HOST_SLOT_BYTES), Math.round(this.peaks.stack / HOST_SLOT_BYTES), c.stack),
      keys: v["Keys used"] ?? null,
      garbageCollections: v["Garbage collections"] ?? null,
      modulesLoaded: v["Modules loaded"] ?? null,
    };
  }

  /** Ends the simulator (the whole xvfb-run process group) and the listener; returns the final status. */
  async stop(): Promise<SimStatus> {
    if (this.stopped) return this.status();
    this.stopped = true;
    if (this.running && this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await this.wait(3000);
      if (this.running) {
        try {
          process.kill(-this.child.pid, "SIGKILL");
        } catch {
          // already gone
        }
        await this.wait(1000);
      }
    }
    this.server.close();
    return this.status();
  }
}
