/**
 * Ambient declarations for exactly the Moddable SDK modules hal/moddable uses, written from the SDK's sources
 * (8.2.3: modules/base/timer, modules/base/time/{esp,lin}, modules/files/flash/esp32, modules/io/serial/{esp32,lin},
 * modules/io/socket/{lwip,lin}, modules/io/system, modules/io/digital, examples/io/tcp/tlssocket) where they differ
 * from its typings (typings/*.d.ts, typings/embedded_io, typings/embedded_provider), and narrowed to the call shapes
 * this adapter makes. Two native modules of our own (hal/moddable/native on ESP32, boards/sim/modules on the Linux
 * simulator) are declared at the end; `crypt` and `Resource` are in crypt.d.ts.
 *
 * What each module exports on each platform is listed in sdk-exports.json, and test/hal/sdk-imports.test.ts checks
 * the device bundle's imports against that list. These declarations cannot do it alone: tsc (7, moduleResolution
 * Bundler, where allowSyntheticDefaultImports=false no longer exists) accepts a default import from an ambient
 * module that has none, and one declaration covers both platforms although some modules exist on one only.
 *
 * Only device code sees these: the modules exist on Moddable builds alone, and rollup keeps them external.
 */

declare module "mc/config" {
  /**
   * The manifests' merged `config` object (ours plus SDK keys such as sntp, tls, screen), deep-frozen: mcconfig
   * generates `export default Object.freeze({...}, true)` (tools/mcconfig.js, ConfigFile).
   */
  const config: Readonly<Record<string, unknown>>;
  export default config;
}

declare module "timer" {
  /** Opaque timer instance; only useful as an argument to the Timer functions. */
  export interface TimerId {
    readonly __timerBrand: unique symbol;
  }
  const Timer: {
    /** One-shot after `interval` ms (repeat 0: cleared after its callback) or repeating when `repeat` > 0. */
    set(callback: (timer: TimerId) => void, interval?: number, repeat?: number): TimerId;
    repeat(callback: (timer: TimerId) => void, interval: number): TimerId;
    /**
     * The timer alone: unschedule (repeat becomes -1, the instance stays valid). With an interval: re-arm, repeating
     * every `repeat` ms, or once with repeat 0 (then freed after its callback). The native code counts the arguments
     * passed (modTimer.c), so `schedule(t, undefined)` re-arms at 0 ms: two overloads, no optional interval.
     */
    schedule(timer: TimerId): void;
    schedule(timer: TimerId, interval: number, repeat?: number): void;
    clear(timer: TimerId | undefined | null): void;
  };
  export default Timer;
}

declare module "time" {
  const Time: {
    /**
     * Set the system clock, in whole seconds since the Unix epoch (ESP32: a uint32). Does nothing in the Linux
     * simulator (modules/base/time/lin/modTime.c), whose clock is the host's.
     */
    set(seconds: number): void;
    /**
     * ESP32: ms since boot, a uint32 counter read as an int32 (negative after ~24.8 days, 0 again after ~49.7).
     * Linux simulator: the host's gettimeofday in ms, a double near 1.8e12 that jumps when the host clock is set.
     * Only differences of two readings (`delta`) mean the same on both.
     */
    readonly ticks: number;
    /** `end - start` of two `ticks` values (ESP32: as uint32, so correct across the wrap); `end` defaults to now. */
    delta(start: number, end?: number): number;
  };
  export default Time;
}

declare module "instrumentation" {
  const Instrumentation: {
    get(index: number): number | undefined;
    /** Index of a named item, or undefined when this build does not instrument it. */
    map(name: string): number | undefined;
  };
  export default Instrumentation;
}

declare module "flash" {
  /**
   * A raw partition of the SPI NOR flash (ESP32: modules/files/flash/esp32, ESP-IDF esp_partition_*). The Linux
   * simulator has no SDK flash module: boards/sim/modules/flash.js is ours, with the same members but readString
   * and map (which this HAL does not use).
   */
  export default class Flash {
    /** Data partition by name ("can't find partition" otherwise); "nextota" is the inactive OTA app slot, "running" the booted one. */
    constructor(partition: string);
    erase(sector: number): void;
    /** Always allocates and returns a fresh ArrayBuffer of `byteLength` bytes. */
    read(offset: number, byteLength: number): ArrayBuffer;
    /** Programs `byteLength` bytes taken from the start of `buffer` (a view's own start for a typed array). */
    write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void;
    readonly byteLength: number;
    /** Erase sector size (4096 on ESP32). */
    readonly blockSize: number;
  }
}

declare module "embedded:io/digital" {
  /**
   * ESP32 only: the Linux simulator has no such module (modules/io/digital/manifest.json: "lin": {}), so it is
   * taken from the host provider (`device.io.Digital`), never imported. A pin is taken until close: a second
   * Digital or Serial on it throws "in use".
   */
  export default class Digital {
    static readonly Input: number;
    static readonly Output: number;
    constructor(options: { pin: number; mode: number });
    write(value: 0 | 1): void;
    read(): 0 | 1;
    close(): void;
  }
}

declare module "embedded:io/serial" {
  /**
   * ESP32 (modules/io/serial/esp32): 8N1 only; TX and RX FIFOs of 128 bytes and no extra driver buffer. The SDK's
   * Linux serial (modules/io/serial/lin) is another class: a tty by `device` path, "buffer" format only, onWritable
   * after each write; the simulator board's `Serial.rs485.io` is boards/sim's rs485-tty, which gives it this
   * interface. The class is taken from the host provider, never imported, since the two differ.
   */
  export default class Serial {
    constructor(options: {
      /**
       * ESP32: the UART number, 0 (the console) when the key is absent; a key present with the value undefined
       * throws "invalid", as do `transmit`/`receive` (serial.c reads a key when it is present).
       */
      port?: number;
      transmit?: number;
      receive?: number;
      /** Linux: the tty path (the ESP32 serial ignores it). */
      device?: string;
      baud: number;
      format?: "number" | "buffer";
      /** Bytes in the RX FIFO. */
      onReadable?: (bytes: number) => void;
      /** Free bytes in the TX FIFO; on ESP32 raised when fewer than 10 bytes remain queued (and once at open). */
      onWritable?: (bytes: number) => void;
    });
    /** "number" format: one byte, or undefined when the FIFO is empty. */
    read(): number | undefined;
    /** "number" format: one byte; throws "output full" when the TX FIFO has no room. */
    write(value: number): void;
    close(): void;
    format: "number" | "buffer";
  }
}

declare module "embedded:io/socket/tcp" {
  export interface TcpSocketOptions {
    /** IPv4 address (the lwIP socket resolves no names). */
    address: string;
    port: number;
    nodelay?: boolean;
    onReadable?: (bytes: number) => void;
    /** Raised at connect and as sent data is acknowledged; `bytes` is the free send buffer (tcp_sndbuf). */
    onWritable?: (bytes: number) => void;
    /** Any disconnect, clean or not, after buffered input has been read; no detail is given. */
    onError?: () => void;
  }
  export default class TCP {
    constructor(options: TcpSocketOptions);
    /**
     * "buffer" format with a view: undefined when nothing is buffered; otherwise fills the whole view (throws
     * "invalid" if fewer bytes are waiting) and returns its length.
     */
    read(into: ArrayBufferView): number | undefined;
    /**
     * "buffer" format: throws "not ready" before the connection is up (lwIP) and "would block" beyond the free send
     * buffer; returns the send buffer left, or undefined once the connection has failed.
     */
    write(data: ArrayBufferView): number | undefined;
    close(): void;
    format: "number" | "buffer";
  }
}

declare module "embedded:io/socket/tcp/tls" {
  import type TCP from "embedded:io/socket/tcp";
  import type { TcpSocketOptions } from "embedded:io/socket/tcp";
  /**
   * The SDK's ECMA-419 TLS socket (examples/io/tcp/tlssocket): TLS 1.2 over a socket of the class given as
   * `TCP.io`, constructed with all these options (the SDK's typings/embedded_io/socket/tls.d.ts omits `TCP`, which
   * the source requires). After the handshake onWritable gets the socket's count less 96, and only when above 96.
   */
  export default class TLSSocket {
    constructor(
      options: TcpSocketOptions & {
        /** Server name for SNI and certificate checks. */
        host: string;
        secure: Record<string, unknown>;
        TCP: { io: typeof TCP };
        /** Any other option is passed on to the `TCP.io` constructor (the TLS socket spreads its options into it). */
        [passedToTcp: string]: unknown;
      },
    );
    /** "buffer" format with a view: copies up to its length of decrypted bytes; returns the count. */
    read(into: ArrayBufferView): number | undefined;
    write(data: ArrayBufferView): unknown;
    close(): void;
    format: "number" | "buffer";
  }
}

declare module "embedded:provider/builtin" {
  import type Digital from "embedded:io/digital";
  import type Serial from "embedded:io/serial";
  /** One serial port as the board's host provider names it (ECMA-419 options bag plus our RS-485 fields). */
  export interface BoardSerial {
    /** The class that opens it: the SDK's serial on the ESP32, boards/sim's rs485-tty in the simulator. */
    io: typeof Serial;
    /** ESP32: UART number and pins. */
    port?: number;
    transmit?: number;
    receive?: number;
    /** Linux simulator: the tty path. */
    device?: string;
    /** GPIO driving the transceiver's DE and /RE (tied together); absent with an auto-direction transceiver. */
    driverEnable?: number;
    /** True when the transceiver enables its driver on a low level (an inverting stage). */
    driverEnableActiveLow?: boolean;
  }
  /**
   * The board's provider (ESP32: boards/esp32-rs485/host/provider.js, as $(SUBPLATFORMDIRECTORY)/host/provider;
   * the simulator: boards/sim/host/provider.js). On ESP32 the SDK's `system` preload deep-freezes it
   * (`globalThis.device = Object.freeze(device, true)`, modules/io/system/system.js), classes in `io` included.
   */
  const device: {
    readonly Serial?: Readonly<Record<string, BoardSerial | undefined>>;
    readonly pin?: Readonly<Record<string, number | undefined>>;
    /** ECMA-419 IO classes of the board; no Digital on a board without GPIO (the simulator). */
    readonly io?: { readonly Digital?: typeof Digital; readonly Serial?: typeof Serial };
  };
  export default device;
}

// "system" is deliberately not declared: the SDK's module exports nothing and installs the `System` global
// (hal/moddable/platform.ts). Even an empty `declare module "system" {}` would let `import System from "system"`
// pass tsc (see the header), and it fails to link; undeclared, tsc refuses any import of it.

declare module "esp32/ota-state" {
  /**
   * hal/moddable/native/ota-state.c: ESP-IDF app-rollback calls the SDK's `ota` module does not expose. In the
   * simulator boards/sim/modules/ota-state.js: never pending, bootNext records only, rollback throws.
   */
  /** The running image is ESP_OTA_IMG_PENDING_VERIFY (first boot after an update, not yet confirmed). */
  export function pendingVerify(): boolean;
  /** esp_ota_mark_app_valid_cancel_rollback(). */
  export function markValid(): void;
  /** esp_ota_mark_app_invalid_rollback_and_reboot(): returns only on failure (then throws). */
  export function rollback(): void;
  /** Verify the image in the next OTA slot and make it the boot partition (esp_ota_set_boot_partition). */
  export function bootNext(): void;
  /** Set the running slot as boot partition again: a pending image gets one more trial boot. */
  export function retryRunning(): void;
}

declare module "esp32/hal-native" {
  /** hal/moddable/native/hal-native.c; in the simulator boards/sim/modules/hal-native.js (Math.random, no task watchdog). */
  /** esp_fill_random() into `buffer[offset, offset+length)`. */
  export function fillRandom(buffer: Uint8Array, offset: number, length: number): void;
  /** Reconfigure the ESP-IDF task watchdog (panic and reset on expiry); false when the build has it disabled. */
  export function taskWatchdog(timeoutMs: number): boolean;
}
