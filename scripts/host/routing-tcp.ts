/**
 * The host run's TCP: the platform link goes out through real sockets (node:net / node:tls), every other connection
 * (Modbus TCP devices of the simulated site) stays on the simulated LAN. So a site file naming LAN addresses never
 * sends a packet anywhere.
 */
import type { TcpConnector, TcpHandlers, TcpOptions, TcpSocket } from "../../hal/types";

export class RoutingTcpConnector implements TcpConnector {
  constructor(
    private readonly real: TcpConnector,
    private readonly simulated: TcpConnector,
    private readonly realEndpoint: { host: string; port: number },
  ) {}

  connect(options: TcpOptions, handlers: TcpHandlers): TcpSocket {
    const toPlatform = options.host === this.realEndpoint.host && options.port === this.realEndpoint.port;
    return (toPlatform ? this.real : this.simulated).connect(options, handlers);
  }
}
