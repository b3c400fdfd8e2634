// Which Gateway servers a router serves: those of the Gateways whose selector matches its labels.
import type { Gateway, Snapshot } from '../model/types';
import { labelsMatch } from '../model/labels';
import { PROXY_RESERVED_PORTS } from '../model/proxy-ports';
import { gatewayKey } from './routes/virtual-services';
import { byKey } from './order';
import { sniHosts, terminatesTls } from './gateway-tls';

export type Server = NonNullable<Gateway['spec']['servers']>[number];

export interface BoundServer {
  gateway: Gateway;
  server: Server;
}

/** The servers on one port number, which share a listener and a route table. */
export interface GatewayPort {
  port: number;
  servers: BoundServer[];
}

/**
 * Plain HTTP servers, and HTTPS servers that terminate TLS with a credentialName (gateway-tls.ts).
 * TLS passthrough and TCP servers need VirtualService `tls` and `tcp` routes, which Mast does not
 * translate yet.
 */
const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC']);

/** A Gateway as resolved VirtualService `gateways` entries name it: `namespace/name`. */
export function gatewayKeyOf(gateway: Gateway): string {
  return gatewayKey(gateway.meta.name, gateway.meta.namespace);
}

/**
 * The servers of the Gateways selecting `labels`, by port, in Gateway order. As in Istio's
 * MergeGateways, a port is plain text or TLS as its first server is (a server of the other kind
 * is dropped), and a TLS server whose SNI names (any of them, or `*` for all) an earlier server on
 * the port already has is dropped: two filter chains with one match make Envoy refuse the listener.
 */
export function gatewayPorts(snapshot: Snapshot, labels: Record<string, string>): GatewayPort[] {
  const byPort = new Map<number, BoundServer[]>();
  const sniTaken = new Map<number, Set<string>>();
  const gateways = snapshot
    .gateways()
    .filter((g) => labelsMatch(g.spec.selector, labels))
    .sort(byKey(gatewayKeyOf));
  for (const gateway of gateways) {
    for (const server of gateway.spec.servers ?? []) {
      const tls = terminatesTls(server);
      if (!tls && !HTTP_PROTOCOLS.has(server.port.protocol.toUpperCase())) continue;
      if (PROXY_RESERVED_PORTS.has(server.port.number)) continue; // MAST2102: the proxy's own port
      const first = byPort.get(server.port.number)?.[0];
      if (first && terminatesTls(first.server) !== tls) continue;
      if (tls) {
        const taken = sniTaken.get(server.port.number) ?? new Set<string>();
        const names = sniHosts(server) ?? ['*'];
        if (names.some((n) => taken.has(n))) continue;
        for (const n of names) taken.add(n);
        sniTaken.set(server.port.number, taken);
      }
      const list = byPort.get(server.port.number) ?? [];
      list.push({ gateway, server });
      byPort.set(server.port.number, list);
    }
  }
  return [...byPort.entries()].sort(([a], [b]) => a - b).map(([port, servers]) => ({ port, servers }));
}
