/**
 * The far side of the fakes: the wire, the bus, the peer, the flash cells and the counters a test drives and
 * inspects. Kept out of the fake modules themselves, which export exactly what the SDK's modules export
 * (hal/moddable/sdk-exports.json, checked by test/hal/sdk-exports.test.ts), so that device code importing
 * something the device does not have fails in the fake world as it fails to link on the device.
 */
import type FakeSerial from "./serial-esp32";
import type FakeLinSerial from "./serial-lin";
import type FakeTcp from "./tcp";
import { world } from "./world";

/** lwIP's free send buffer after a connect or a full acknowledgement, in the fake. */
export const TCP_SNDBUF = 2920;

/** Pin writes as (pin, value, ms) into a preallocated log. */
export const pinLog = {
  pins: new Int32Array(256),
  values: new Int32Array(256),
  times: new Float64Array(256),
  count: 0,
  clear(): void {
    this.count = 0;
  },
};

export const partitions: Record<string, Uint8Array> = {
  store: new Uint8Array(16 * 4096).fill(0xff),
  nextota: new Uint8Array(64 * 4096).fill(0xff),
  running: new Uint8Array(64 * 4096).fill(0xff),
};

export const flashStats = { erases: 0, writes: 0, reads: 0 };

export const otaState = { pending: false, markedValid: 0, bootNextCalls: 0, retries: 0, rollbacks: 0 };

/** The one open UART: what it sent, when each byte's stop bit ended, what the bus answers. */
export const uart = {
  sent: new Uint8Array(4096),
  sentCount: 0,
  /** Time (ms, fractional) the stop bit of each sent byte ends. */
  doneAt: new Float64Array(4096),
  rx: new Uint8Array(512),
  rxHead: 0,
  rxCount: 0,
  instance: null as FakeSerial | null,
  /** The last constructor's options (port, pins, baud) as the native code read them. */
  opened: { port: -1, transmit: -1, receive: -1, baud: 0 },
  /** Bytes from the bus: delivered with onReadable at the next step. */
  inject(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.rx[(this.rxHead + this.rxCount++) % 512] = bytes[i];
    const serial = this.instance;
    if (serial) world.post(serial.readableMessage);
  },
  lastDone(): number {
    return this.sentCount === 0 ? 0 : this.doneAt[this.sentCount - 1];
  },
  clear(): void {
    this.sentCount = 0;
  },
};

/** The simulated tty: what the firmware wrote and what the far end sends. */
export const tty = {
  /** The one path that opens (the simulator's `<simDir>rs485`). */
  devicePath: "/tmp/ess-gateway-sim/rs485",
  sent: new Uint8Array(8192),
  sentCount: 0,
  rx: new Uint8Array(2048),
  rxCount: 0,
  instance: null as FakeLinSerial | null,
  opened: { device: "", baud: 0 },
  inject(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.rx[this.rxCount++] = bytes[i];
    const serial = this.instance;
    if (serial) world.post(serial.readableMessage);
  },
  clear(): void {
    this.sentCount = 0;
  },
};

/** The peer side of the last socket opened (tests talk to one connection at a time). */
export const peer = {
  socket: null as FakeTcp | null,
  address: "",
  port: -1,
  refuse: false,
  received: new Uint8Array(65536),
  receivedCount: 0,
  toClient: new Uint8Array(65536),
  toClientHead: 0,
  toClientCount: 0,
  sndbuf: TCP_SNDBUF,
  sockets: 0,
  /** Peer sends bytes: onReadable(total waiting) at the next step. */
  send(bytes: Uint8Array, count: number): void {
    for (let i = 0; i < count; i++) this.toClient[(this.toClientHead + this.toClientCount++) % 65536] = bytes[i];
    const socket = this.socket;
    if (socket) world.post(socket.readableMessage);
  },
  /** Peer acknowledges everything: the send buffer is free again, onWritable follows. */
  ack(): void {
    this.sndbuf = TCP_SNDBUF;
    const socket = this.socket;
    if (socket) world.post(socket.writableMessage);
  },
  /** Peer closes: onError after the input is read, as lwIP's socket does. */
  close(): void {
    const socket = this.socket;
    if (socket) world.post(socket.errorMessage);
  },
  reset(): void {
    this.socket = null;
    this.receivedCount = 0;
    this.toClientCount = 0;
    this.toClientHead = 0;
    this.sndbuf = TCP_SNDBUF;
    this.refuse = false;
  },
};

/** What the last session was opened with. */
export const tlsPeer = { serverName: "", sessions: 0 };

/** Path -> contents (the first `length` bytes of `bytes`). */
export const files = new Map<string, { bytes: Uint8Array; length: number }>();

/** Name -> bytes of the app's resources (mcrez). */
export const resources = new Map<string, Uint8Array>();

/** Digests made and bytes hashed, for tests. */
export const cryptStats = { digests: 0, bytes: 0 };
