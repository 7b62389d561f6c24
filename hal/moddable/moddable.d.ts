/**
 * Ambient declarations for exactly the Moddable SDK modules hal/moddable uses, written from the SDK's typings
 * (typings/embedded_io/*.d.ts, timer.d.ts, time.d.ts, flash.d.ts, instrumentation.d.ts) and sources
 * (modules/io/serial/esp32, modules/io/socket/lwip, modules/io/system, examples/io/tcp/tlssocket), narrowed to the
 * call shapes this adapter makes. Two native modules of our own (hal/moddable/native) are declared at the end.
 *
 * Only device code sees these: the modules exist on Moddable builds alone, and rollup keeps them external.
 */

declare module "mc/config" {
  /** The manifest's merged `config` object (ours plus SDK keys such as sntp, tls, screen), frozen. */
  const config: Record<string, unknown>;
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
    /** With intervals: re-arm. Without: unschedule (repeat becomes "infinite", the instance stays valid). */
    schedule(timer: TimerId, interval?: number, repeat?: number): void;
    clear(timer: TimerId | undefined | null): void;
  };
  export default Timer;
}

declare module "time" {
  const Time: {
    /** Set the system clock, in whole seconds since the Unix epoch. */
    set(seconds: number): void;
    /** Millisecond counter since boot: a signed 32-bit value on microcontrollers (wraps after ~24.8 days). */
    readonly ticks: number;
    /** `end - start` of two `ticks` values, correct across wrap-around. */
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
  /** A raw partition of the SPI NOR flash (ESP-IDF esp_partition_*). */
  export default class Flash {
    /** Data partition by name; "nextota" is the inactive OTA app slot, "running" the booted one. */
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
  /** ESP32: 8N1 only; TX and RX FIFOs of 128 bytes and no extra driver buffer. */
  export default class Serial {
    constructor(options: {
      /** ESP32: the UART number. */
      port?: number;
      transmit?: number;
      receive?: number;
      /** Linux: the tty path. */
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
    /** "buffer" format with a view: fills the whole view (throws if fewer bytes are waiting); returns its length. */
    read(into: ArrayBufferView): number;
    /** "buffer" format: throws "would block" beyond the free send buffer; returns the send buffer left. */
    write(data: ArrayBufferView): number | undefined;
    close(): void;
    format: "number" | "buffer";
  }
}

declare module "embedded:io/socket/tcp/tls" {
  import type TCP from "embedded:io/socket/tcp";
  import type { TcpSocketOptions } from "embedded:io/socket/tcp";
  /** The SDK's ECMA-419 TLS socket (examples/io/tcp/tlssocket): TLS 1.2 over a TCP socket class it is given. */
  export default class TLSSocket {
    constructor(
      options: TcpSocketOptions & {
        /** Server name for SNI and certificate checks. */
        host: string;
        secure: Record<string, unknown>;
        TCP: { io: typeof TCP };
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
  const device: {
    Serial?: Record<string, BoardSerial | undefined>;
    pin?: Record<string, number | undefined>;
    /** ECMA-419 IO classes of the board; no Digital on a board without GPIO. */
    io?: { Digital?: typeof Digital; Serial?: typeof Serial };
  };
  export default device;
}

// "system" is deliberately not declared: the SDK's module exports nothing and installs the `System` global
// (hal/moddable/platform.ts), so an import of it would pass tsc and fail to link.

declare module "esp32/ota-state" {
  /** hal/moddable/native/ota-state.c: ESP-IDF app-rollback calls the SDK's `ota` module does not expose. */
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
  /** hal/moddable/native/hal-native.c */
  /** esp_fill_random() into `buffer[offset, offset+length)`. */
  export function fillRandom(buffer: Uint8Array, offset: number, length: number): void;
  /** Reconfigure the ESP-IDF task watchdog (panic and reset on expiry); false when the build has it disabled. */
  export function taskWatchdog(timeoutMs: number): boolean;
}
