/**
 * The host run's TCP. By default the platform link goes out through real sockets (node:net / node:tls) and every
 * other connection (Modbus TCP devices of the simulated site, an OTA server) stays on the simulated LAN, so a site
 * file naming LAN addresses never sends a packet anywhere. In the Linux-gateway mode (`realUnlessSimulated`) every
 * connection is real except those to an address a simulated device listens on.
 */
import type { TcpConnector, TcpHandlers, TcpOptions, TcpSocket } from "../../hal/types";

export class RoutingTcpConnector implements TcpConnector {
  constructor(
    private readonly real: TcpConnector,
    private readonly simulated: TcpConnector & { serves(host: string, port: number): boolean },
    private readonly realEndpoint: { host: string; port: number },
    private readonly realUnlessSimulated = false,
  ) {}

  connect(options: TcpOptions, handlers: TcpHandlers): TcpSocket {
    const real = this.realUnlessSimulated
      ? !this.simulated.serves(options.host, options.port)
      : options.host === this.realEndpoint.host && options.port === this.realEndpoint.port;
    return (real ? this.real : this.simulated).connect(options, handlers);
  }
}
