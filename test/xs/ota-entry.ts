/**
 * OTA in the real XS engine: the simulated-HAL scenario (the same code as on Node), P-256 verification, and the
 * download body path (HTTP parser -> slot write -> SHA-256) driven over a fake socket to measure its allocations.
 */
import { SimOtaSlots } from "../../hal/sim/ota";
import type { TcpConnector, TcpHandlers, TcpSocket } from "../../hal/types";
import { fromHex } from "../../src/crypto/hex";
import { HttpClient } from "../../src/http/client";
import { decodeBase64 } from "../../src/ota/base64";
import { resolveOtaConfig } from "../../src/ota/config";
import { DownloadState, ImageDownloader } from "../../src/ota/downloader";
import { EcdsaP256Verifier, parsePublicKey, parseSignature } from "../../src/ota/p256";
import { otaSimScenario, type ScenarioInput } from "../ota/sim-scenario";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

function reply(value: unknown): void {
  issueCommand(new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer);
}

/**
 * A socket that answers one ranged GET with a 206 whose body is generated on the fly (byte i = i * 7 + 3), so
 * serving it allocates nothing. The body is as long as asked for, so the measurement can run for as long as needed.
 */
class EndlessServer implements TcpConnector, TcpSocket {
  handlers: TcpHandlers | null = null;
  private head = new Uint8Array(0);
  private headSent = 0;
  private bodySent = 0;
  private bodyLength = 0;
  private requestBytes = 0;

  connect(_options: unknown, handlers: TcpHandlers): TcpSocket {
    this.handlers = handlers;
    return this;
  }

  prepare(bodyLength: number): void {
    this.bodyLength = bodyLength;
    const text = `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-${bodyLength - 1}/${bodyLength}\r\nContent-Length: ${bodyLength}\r\n\r\n`;
    this.head = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) this.head[i] = text.charCodeAt(i);
    this.headSent = 0;
    this.bodySent = 0;
  }

  read(into: Uint8Array, offset: number, length: number): number {
    let count = 0;
    while (count < length && this.headSent < this.head.length) into[offset + count++] = this.head[this.headSent++];
    while (count < length && this.bodySent < this.bodyLength) {
      into[offset + count++] = (this.bodySent * 7 + 3) & 0xff;
      this.bodySent++;
    }
    return count;
  }

  write(_data: Uint8Array, _offset: number, length: number): number {
    this.requestBytes += length;
    return length;
  }

  close(): void {}
}

let server: EndlessServer | null = null;
let downloader: ImageDownloader | null = null;
let now = 0;

const otaXs = {
  scenario(input: ScenarioInput): void {
    reply(otaSimScenario(input));
  },
  verify(publicKeyHex: string, digestHex: string, signature: string, slice: number): void {
    const keyBytes = new Uint8Array(65);
    fromHex(publicKeyHex, keyBytes, 0);
    const digest = new Uint8Array(32);
    fromHex(digestHex, digest, 0);
    const verifier = new EcdsaP256Verifier();
    verifier.start(parsePublicKey(keyBytes), digest, parseSignature(decodeBase64(signature)));
    let calls = 0;
    while (!verifier.step(slice)) calls++;
    reply({ valid: verifier.valid, units: verifier.units, calls: calls + 1 });
  },
  /** A download of a huge image under way over EndlessServer, past its first poll (connection made, head parsed). */
  prepareBody(): void {
    const config = resolveOtaConfig({ maxImageBytes: 4 * 1024 * 1024, bytesPerTick: 4096, rangeBytes: 4 * 1024 * 1024 });
    server = new EndlessServer();
    server.prepare(4 * 1024 * 1024);
    const slots = new SimOtaSlots({ slotBytes: 4 * 1024 * 1024 });
    slots.flash.operations;
    const http = new HttpClient(server, { receiveBufferBytes: 2048 });
    downloader = new ImageDownloader(http, slots, config, { write() {} });
    downloader.start("http://fw.example/x.bin", 4 * 1024 * 1024, 0);
    downloader.tick(now);
    server.handlers?.onConnect();
    downloader.tick(++now);
    reply({ state: downloader.state, offset: downloader.offset });
  },
  /** `count` download ticks of 4 KiB each (parse, erase/program the slot, hash). */
  pump(count: number): void {
    const d = downloader as ImageDownloader;
    for (let i = 0; i < count; i++) d.tick(++now);
  },
  bodyStatus(): void {
    const d = downloader as ImageDownloader;
    reply({ state: d.state, offset: d.offset, fetching: d.state === DownloadState.Fetching });
  },
};

(globalThis as unknown as { otaXs: typeof otaXs }).otaXs = otaXs;
