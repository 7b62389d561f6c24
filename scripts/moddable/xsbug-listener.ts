/**
 * A minimal xsbug peer for the Moddable simulator run headless: a debug build (`mcconfig -d`) connects to xsbug at
 * XSBUG_HOST:XSBUG_PORT and sends everything there (trace output, exceptions, instrumentation samples), so without a
 * peer the app's log is lost. This listener accepts that connection, lets the app run (no breakpoints; a break is
 * printed with its frames and resumed), and turns the stream into events: log lines, breaks, and the
 * instrumentation samples of the SDK's `<instruments>`/`<samples>` elements (once a second).
 *
 * Only the subset of the xsbug protocol (documentation/xs/xsbug.md; XML elements over TCP) that these need is parsed.
 */
import { createServer, type Server, type Socket } from "node:net";

export interface Instruments {
  /** name -> latest value, in the units xsbug shows (bytes for memory, counts otherwise). */
  [name: string]: number;
}

export interface ListenerEvents {
  /** Break on every exception thrown, caught or not (printed with its frames, then resumed): for debugging. */
  breakOnExceptions?: boolean;
  onLogin?(name: string): void;
  onLog?(line: string): void;
  onBreak?(where: string, message: string, frames: string[]): void;
  onSamples?(values: Instruments): void;
  onClose?(): void;
}

const ENTITIES: Record<string, string> = { "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'" };

function decode(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (entity) => {
    if (entity in ENTITIES) return ENTITIES[entity];
    const code = entity[2] === "x" ? parseInt(entity.slice(3, -1), 16) : parseInt(entity.slice(2, -1), 10);
    return String.fromCodePoint(code);
  });
}

function attribute(tag: string, name: string): string {
  const match = new RegExp(`\\b${name}="([^"]*)"`).exec(tag);
  return match ? decode(match[1]) : "";
}

/** Parses the machine's stream of `<xsbug>...</xsbug>` messages. */
export class XsbugSession {
  private pending = "";
  private logLine = "";
  private instrumentNames: string[] = [];
  readonly latest: Instruments = {};

  constructor(
    private readonly socket: Socket,
    private readonly events: ListenerEvents,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.receive(chunk));
    socket.on("close", () => events.onClose?.());
    socket.on("error", () => {});
  }

  private send(command: string): void {
    this.socket.write(`\r\n${command}\r\n`);
  }

  private receive(chunk: string): void {
    this.pending += chunk;
    for (;;) {
      const start = this.pending.indexOf("<xsbug>");
      const end = this.pending.indexOf("</xsbug>");
      if (start < 0 || end < 0) break;
      const body = this.pending.slice(start + 7, end);
      this.pending = this.pending.slice(end + 8);
      this.message(body);
    }
  }

  private message(body: string): void {
    const login = /<login\b[^>]*>/.exec(body);
    if (login) {
      this.events.onLogin?.(attribute(login[0], "name"));
      // No breakpoints, and by default not on exceptions (caught ones are normal flow); then let the machine run.
      const exceptions = this.events.breakOnExceptions ? '<breakpoint path="exceptions" line="0" id="@0"/>' : "";
      this.send(`<set-all-breakpoints>${exceptions}</set-all-breakpoints>`);
      this.send("<go/>");
    }
    const instruments = /<instruments>([\s\S]*?)<\/instruments>/.exec(body);
    if (instruments) {
      this.instrumentNames = [];
      for (const tag of instruments[1].match(/<instrument\b[^>]*>/g) ?? []) this.instrumentNames.push(attribute(tag, "name"));
    }
    const samples = /<samples>([^<]*)<\/samples>/.exec(body);
    if (samples) {
      const values = samples[1].split(",");
      for (let i = 0; i < values.length && i < this.instrumentNames.length; i++) this.latest[this.instrumentNames[i]] = Number(values[i]);
      this.events.onSamples?.(this.latest);
    }
    for (const log of body.matchAll(/<log\b[^>]*>([\s\S]*?)<\/log>/g)) this.log(decode(log[1]));
    const broken = /<break\b([^>]*)>([\s\S]*?)<\/break>/.exec(body);
    if (broken) {
      const frames: string[] = [];
      for (const frame of body.matchAll(/<frame\b[^>]*>/g)) {
        const path = attribute(frame[0], "path");
        frames.push(`${attribute(frame[0], "name")}${path ? ` ${path}:${attribute(frame[0], "line")}` : ""}`);
      }
      const where = `${attribute(broken[0], "path")}:${attribute(broken[0], "line")}`;
      this.events.onBreak?.(where, decode(broken[2]).trim(), frames);
      this.send("<go/>");
    }
  }

  private log(text: string): void {
    this.logLine += text;
    let newline = this.logLine.indexOf("\n");
    while (newline >= 0) {
      this.events.onLog?.(this.logLine.slice(0, newline));
      this.logLine = this.logLine.slice(newline + 1);
      newline = this.logLine.indexOf("\n");
    }
  }
}

/** Listen on 127.0.0.1:`port` (0 = any free port); resolves with the server and the port it got. */
export function listenForXsbug(port: number, events: ListenerEvents, onSession: (session: XsbugSession) => void): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => onSession(new XsbugSession(socket, events)));
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address ? address.port : port });
    });
  });
}
