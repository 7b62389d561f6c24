import type { TcpConnector, TcpHandlers, TcpOptions, TcpSocket } from "../types";
import type { SimLoop } from "./loop";

/** The server side of a simulated listener: gets a connection object to read from and write to. */
export interface SimServerHandlers {
  onData(connection: SimConnection, bytes: Uint8Array): void;
  onClose?(connection: SimConnection): void;
}

export type SimAcceptor = (connection: SimConnection) => SimServerHandlers;

/**
 * A simulated network of TCP links driven by the SimLoop: bytes arrive `latencyMs` after they are written, in
 * order. Faults: refuse connections, stall a link (TCP stays open, nothing is delivered: a half-open link), reset it.
 */
export class SimNetwork implements TcpConnector {
  latencyMs = 5;
  /** Connections are refused while true (broker down, no route). */
  refuseConnections = false;
  connectAttempts = 0;
  /** The links accepted and not known to be closed (closed ones are dropped at the next accept). */
  readonly connections: SimConnection[] = [];
  private readonly listeners = new Map<string, SimAcceptor>();

  constructor(readonly loop: SimLoop) {}

  listen(host: string, port: number, acceptor: SimAcceptor): void {
    this.listeners.set(`${host}:${port}`, acceptor);
  }

  /** Does something on the simulated network listen at host:port (a simulated device)? */
  serves(host: string, port: number): boolean {
    return this.listeners.has(`${host}:${port}`);
  }

  connect(options: TcpOptions, handlers: TcpHandlers): TcpSocket {
    this.connectAttempts++;
    const acceptor = this.listeners.get(`${options.host}:${options.port}`);
    const connection = new SimConnection(this, handlers);
    const timer = this.loop.createTimer(() => {
      if (this.refuseConnections || !acceptor) {
        connection.closed = true;
        handlers.onError(`connection refused by ${options.host}:${options.port}`);
        handlers.onClose();
        return;
      }
      connection.server = acceptor(connection);
      // Forget the links already closed: a week of reconnects (the soak) would otherwise keep every one of them.
      for (let i = this.connections.length - 1; i >= 0; i--) if (this.connections[i].closed) this.connections.splice(i, 1);
      this.connections.push(connection);
      handlers.onConnect();
    });
    timer.start(this.latencyMs);
    return connection.clientSocket;
  }

  /** Reset every open link (a broker crash, a NAT timeout). */
  resetAll(): void {
    for (const connection of this.connections) connection.reset();
  }
}

/** One link: the client side is a TcpSocket, the server side is this object. */
export class SimConnection {
  server: SimServerHandlers | null = null;
  closed = false;
  /** While stalled, bytes in both directions are held back (a half-open link). */
  stalled = false;
  bytesToServer = 0;
  bytesToClient = 0;
  private readonly toClient: number[] = [];
  private clientReadOffset = 0;
  private readonly toClientTimer;
  readonly clientSocket: TcpSocket;

  constructor(
    private readonly network: SimNetwork,
    private readonly client: TcpHandlers,
  ) {
    this.toClientTimer = network.loop.createTimer(() => this.deliverToClient());
    const connection = this;
    this.clientSocket = {
      read(into, offset, length) {
        let count = 0;
        const queue = connection.toClient;
        while (count < length && connection.clientReadOffset < queue.length) {
          into[offset + count++] = queue[connection.clientReadOffset++];
        }
        if (connection.clientReadOffset === queue.length) {
          queue.length = 0;
          connection.clientReadOffset = 0;
        }
        return count;
      },
      write(data, offset, length) {
        if (connection.closed) return 0;
        const copy = data.slice(offset, offset + length);
        connection.bytesToServer += length;
        const timer = network.loop.createTimer(() => {
          if (!connection.closed && !connection.stalled && connection.server) connection.server.onData(connection, copy);
        });
        timer.start(network.latencyMs);
        return length;
      },
      close() {
        connection.closeFromClient();
      },
    };
  }

  /** Server writes bytes to the client. */
  send(bytes: Uint8Array): void {
    if (this.closed || this.stalled) return;
    for (let i = 0; i < bytes.length; i++) this.toClient.push(bytes[i]);
    this.bytesToClient += bytes.length;
    if (!this.toClientTimer.active) this.toClientTimer.start(this.network.latencyMs);
  }

  /** Server closes the link cleanly. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    const timer = this.network.loop.createTimer(() => this.client.onClose());
    timer.start(this.network.latencyMs);
  }

  /** The link breaks: the client sees an error then a close. */
  reset(): void {
    if (this.closed) return;
    this.closed = true;
    this.server?.onClose?.(this);
    this.client.onError("connection reset");
    this.client.onClose();
  }

  private closeFromClient(): void {
    if (this.closed) return;
    this.closed = true;
    this.server?.onClose?.(this);
  }

  private deliverToClient(): void {
    if (this.closed) return;
    const available = this.toClient.length - this.clientReadOffset;
    if (available > 0) this.client.onReadable(available);
  }
}
