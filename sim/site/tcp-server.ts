/**
 * Modbus TCP front end for simulated slaves on the SimNetwork: MBAP framing in, the slave's PDU handling, MBAP out.
 * Several slaves may sit behind one host:port (a gateway); the MBAP unit id picks one. The simulated network
 * allocates per packet, so this is for behaviour tests, not allocation measurements.
 */
import type { SimConnection, SimNetwork } from "../../hal/sim/tcp";
import type { SimModbusSlave } from "./modbus-slave";

export interface SimTcpServerStats {
  requests: number;
  /** Requests for a unit id nobody answers to (dropped, as a TCP gateway with no such slave would time out). */
  unknownUnit: number;
}

export function serveModbusTcp(network: SimNetwork, host: string, port: number, slaves: readonly SimModbusSlave[]): SimTcpServerStats {
  const stats: SimTcpServerStats = { requests: 0, unknownUnit: 0 };
  network.listen(host, port, () => {
    let pending = new Uint8Array(0);
    const answer = new Uint8Array(260);
    return {
      onData(connection: SimConnection, bytes: Uint8Array): void {
        const joined = new Uint8Array(pending.length + bytes.length);
        joined.set(pending, 0);
        joined.set(bytes, pending.length);
        let at = 0;
        while (joined.length - at >= 7) {
          const length = (joined[at + 4] << 8) | joined[at + 5];
          if (joined.length - at < 6 + length) break;
          stats.requests++;
          const unit = joined[at + 6];
          const slave = slaves.find((s) => s.unit === unit) ?? (slaves.length === 1 && unit === 255 ? slaves[0] : undefined);
          if (!slave) {
            stats.unknownUnit++;
          } else if (!slave.silent) {
            const pduLength = slave.handlePdu(joined, at + 7, length - 1, answer, 7);
            answer[0] = joined[at];
            answer[1] = joined[at + 1];
            answer[2] = 0;
            answer[3] = 0;
            answer[4] = (pduLength + 1) >>> 8;
            answer[5] = (pduLength + 1) & 0xff;
            answer[6] = unit;
            connection.send(answer.slice(0, 7 + pduLength));
          }
          at += 6 + length;
        }
        pending = joined.slice(at);
      },
    };
  });
  return stats;
}
