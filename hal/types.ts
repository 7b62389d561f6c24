/**
 * HAL contracts: the only way the core (src/) touches the world.
 *
 * Three families implement them: hal/moddable (ESP32 device), hal/node (a PC) and hal/sim (deterministic
 * simulation with injected faults). The core receives events through the handler objects it registers and emits
 * effects by calling these methods; it never reads a clock, a socket or the flash chip any other way.
 *
 * Allocation rule: every method that runs at tick or packet rate takes caller-owned buffers (offset/length views),
 * so the core can run in steady state without allocating. Objects such as timers are created once at boot.
 */

import type { StreamingHash } from "../src/crypto/hash";

/** A one-shot or periodic timer, created once and re-armed as needed (no allocation per arm). */
export interface Timer {
  /** Arm the timer: first fire after `delayMs`, then every `periodMs` if given and > 0. Re-arming replaces. */
  start(delayMs: number, periodMs?: number): void;
  stop(): void;
  readonly active: boolean;
}

export interface Clock {
  /** Milliseconds since boot: monotonic, never jumps, unaffected by wall-clock changes. */
  monotonicMs(): number;
  /** Wall clock in ms since the Unix epoch (UTC). Only meaningful while `wallSynced()` is true. */
  wallMs(): number;
  /** True once the wall clock has been set from a trusted source (SNTP, platform, RTC). */
  wallSynced(): boolean;
  /** Create a timer bound to `callback`. Call at boot or setup, not per tick. */
  createTimer(callback: () => void): Timer;
}

/** 8N1 serial line; on RS-485 boards the implementation drives the transceiver's DE/RE pin around each write. */
export interface SerialConfig {
  /** Board-level port name or UART number, as the board config names it. */
  port: string | number;
  baud: number;
}

export interface SerialHandlers {
  /** Bytes are waiting; read them with `read`. `available` may be an estimate (>= 1). */
  onReadable(available: number): void;
  /** The last write has fully left the wire (DE released on RS-485). */
  onWriteDone?(): void;
}

export interface SerialPort {
  readonly baud: number;
  /** Copy up to `length` received bytes into `into` at `offset`; returns the count copied (0 if none). */
  read(into: Uint8Array, offset: number, length: number): number;
  /**
   * Queue `length` bytes from `data` at `offset` for transmission. Returns false (and sends nothing) when the
   * driver cannot take the whole frame: Modbus frames must never be split by a full FIFO.
   */
  write(data: Uint8Array, offset: number, length: number): boolean;
  close(): void;
}

export interface TcpOptions {
  host: string;
  port: number;
  /** Wrap in TLS (Moddable's TLS socket on the device, node:tls on a PC). */
  tls?: boolean;
  /** TLS server name for SNI and certificate checks; defaults to `host`. */
  serverName?: string;
}

export interface TcpHandlers {
  onConnect(): void;
  /** Bytes are waiting; read them with `read`. */
  onReadable(available: number): void;
  /** Send space freed up after a short write. */
  onWritable?(space: number): void;
  /** The connection is gone (peer closed, reset, or after `close()` was called by the peer side). */
  onClose(): void;
  /** A failure before or during the connection; `onClose` follows. */
  onError(message: string): void;
}

export interface TcpSocket {
  read(into: Uint8Array, offset: number, length: number): number;
  /** Returns the number of bytes accepted (possibly fewer than `length` when the send buffer is full). */
  write(data: Uint8Array, offset: number, length: number): number;
  close(): void;
}

export interface TcpConnector {
  connect(options: TcpOptions, handlers: TcpHandlers): TcpSocket;
}

/**
 * Raw NOR flash partition. Erase sets a whole sector to 0xFF; program can only clear bits (new = old AND data);
 * nothing is atomic. Calls are synchronous, as on ESP32's SPI flash.
 */
export interface NorFlash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  read(offset: number, into: Uint8Array, intoOffset: number, length: number): void;
  program(offset: number, data: Uint8Array, dataOffset: number, length: number): void;
  eraseSector(sector: number): void;
}

export interface FlashProvider {
  /** Open a partition by its name in the board's partition table. Throws if it does not exist. */
  open(partition: string): NorFlash;
}

/**
 * Writes a firmware image into the inactive OTA slot and manages boot validity (docs/ota.md).
 *
 * Boot rules (ESP-IDF with app rollback): `complete` makes the written image the next boot image; it then boots
 * "pending verify" and must be confirmed with `markRunningValid`, or the next reset goes back to the previous image.
 */
export interface OtaSlotWriter {
  /** Start writing a new image of `size` bytes into the inactive slot (throws if it cannot hold `size`). */
  begin(size: number): void;
  /**
   * Continue an image interrupted by a reboot: the slot keeps its first `offset` bytes (written before the reboot)
   * and the next `write` lands at `offset`. Throws when the slot holds no unfinished image of `size` bytes; the
   * caller then starts again with `begin`.
   */
  resume(size: number, offset: number): void;
  write(data: Uint8Array, offset: number, length: number): void;
  /** Read back bytes of the image being written (to rebuild its running hash after a resume). */
  read(slotOffset: number, into: Uint8Array, intoOffset: number, length: number): void;
  /** Mark the written image as the next boot image. */
  complete(): void;
  /** Abandon the written image (its first sector is erased): the running image stays the boot image. */
  cancel(): void;
  /** True when the running image was just installed and not yet confirmed (ESP-IDF PENDING_VERIFY). */
  runningImagePendingVerify(): boolean;
  /** Confirm the running image (esp_ota_mark_app_valid_cancel_rollback). */
  markRunningValid(): void;
  /**
   * Let the unconfirmed running image boot once more after a reset, still pending verify, instead of the
   * bootloader going back at once (ESP-IDF: esp_ota_set_boot_partition of the running slot). Lets the firmware
   * give a new image N boots.
   */
  retryPendingImage(): void;
  /** Give up on the running image and reboot into the previous one. */
  rollback(): void;
}

export interface Watchdog {
  /** Arm the hardware watchdog: a reset follows if `feed` is not called within `timeoutMs`. */
  enable(timeoutMs: number): void;
  feed(): void;
}

export interface RandomSource {
  /** Fill `into[offset, offset+length)` with random bytes (cryptographic quality on real hardware). */
  fill(into: Uint8Array, offset: number, length: number): void;
}

/** Log levels, lowest number = most severe. A plain object, not an enum, so every bundler treats it alike. */
// Frozen: the device preloads it (a writable module-level object costs a RAM alias and draws an xsl warning).
export const LogLevel = Object.freeze({ Error: 0, Warn: 1, Info: 2, Debug: 3 } as const);
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

export interface Log {
  /** Events, not tick-rate chatter: building the message string allocates. */
  write(level: LogLevel, source: string, message: string): void;
}

/** What the host can tell about memory; fields are null when unknown. */
export interface MemoryInfo {
  heapUsedBytes: number | null;
  heapFreeBytes: number | null;
}

export interface System {
  memory(): MemoryInfo;
  /** Restart the device (on the host: ends the run with a restart request). */
  restart(reason: string): void;
}

/** Everything the core may use, handed to it at boot. */
export interface Hal {
  clock: Clock;
  log: Log;
  random: RandomSource;
  watchdog: Watchdog;
  flash: FlashProvider;
  openSerial(config: SerialConfig, handlers: SerialHandlers): SerialPort;
  tcp: TcpConnector;
  ota: OtaSlotWriter;
  system: System;
  /** A native SHA-256 where the platform has one (the SDK's crypt Digest on the device); absent: the core's own. */
  sha256?(): StreamingHash;
}
