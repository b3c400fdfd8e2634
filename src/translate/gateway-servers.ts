// Which Gateway servers a router serves: those of the Gateways whose selector matches its labels.
import type { Gateway, Snapshot } from '../model/types';
import { labelsMatch } from '../model/labels';
import { PROXY_RESERVED_PORTS } from '../model/proxy-ports';
import { gatewayKey } from './routes/virtual-services';
import { byKey } from './order';
import { passesTlsThrough, sniHosts, terminatesTls } from './gateway-tls';

export type Server = NonNullable<Gateway['spec']['servers']>[number];

export interface BoundServer {
  gateway: Gateway;
  server: Server;
}

/** The servers on one port number, which share a listener (and, for HTTP, route tables). */
export interface GatewayPort {
  port: number;
  /** Plain HTTP servers, and HTTPS servers that terminate TLS with a credentialName (gateway-tls.ts). */
  servers: BoundServer[];
  /**
   * Servers routed by VirtualService `tcp` rules (TCP, MONGO, REDIS, MYSQL without TLS) or `tls`
   * rules by SNI (TLS or HTTPS in mode PASSTHROUGH): listeners/tcp-gateway.ts.
   */
  l4?: BoundServer[];
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC']);
/** protocol.Parse's protocols that are TCP but neither HTTP nor TLS. */
const OPAQUE_TCP_PROTOCOLS = new Set(['TCP', 'MONGO', 'REDIS', 'MYSQL']);

/** How Mast serves a server: HTTP routes, TLS termination then HTTP routes, L4 routes, or not at all (validation says why). */
function serverKind(server: Server): 'http' | 'tls' | 'l4' | undefined {
  const protocol = server.port.protocol.toUpperCase();
  if (terminatesTls(server)) return 'tls';
  if (HTTP_PROTOCOLS.has(protocol)) return 'http';
  if (OPAQUE_TCP_PROTOCOLS.has(protocol) && !server.tls) return 'l4';
  if (passesTlsThrough(server)) return 'l4';
  return undefined;
}

/** A Gateway as resolved VirtualService `gateways` entries name it: `namespace/name`. */
export function gatewayKeyOf(gateway: Gateway): string {
  return gatewayKey(gateway.meta.name, gateway.meta.namespace);
}

/**
 * The servers of the Gateways selecting `labels`, by port, in Gateway order. As in Istio's
 * MergeGateways, a port is plain-text HTTP or not as its first server is (a server of the other
 * kind is dropped), and a TLS or TCP server whose SNI names (any of them, or `*` for all) an
 * earlier server on the port already has is dropped: two filter chains with one match make Envoy
 * refuse the listener.
 */
export function gatewayPorts(snapshot: Snapshot, labels: Record<string, string>): GatewayPort[] {
  const byPort = new Map<number, GatewayPort>();
  const sniTaken = new Map<number, Set<string>>();
  const gateways = snapshot
    .gateways()
    .filter((g) => labelsMatch(g.spec.selector, labels))
    .sort(byKey(gatewayKeyOf));
  const plainPort = new Map<number, boolean>();
  for (const gateway of gateways) {
    for (const server of gateway.spec.servers ?? []) {
      const kind = serverKind(server);
      if (!kind) continue;
      const number = server.port.number;
      if (PROXY_RESERVED_PORTS.has(number)) continue; // MAST2102: the proxy's own port
      if ((plainPort.get(number) ?? kind === 'http') !== (kind === 'http')) continue;
      plainPort.set(number, kind === 'http');
      // A terminating server's SNI names, and `*` for an opaque TCP server's chain, which matches
      // any name; a passthrough server's names come from its VirtualServices (tcp-gateway.ts).
      const names = kind === 'tls' ? (sniHosts(server) ?? ['*']) : kind === 'l4' && !server.tls ? ['*'] : [];
      const taken = sniTaken.get(number) ?? new Set<string>();
      if (names.some((n) => taken.has(n))) continue;
      for (const n of names) taken.add(n);
      sniTaken.set(number, taken);
      const entry = byPort.get(number) ?? { port: number, servers: [], l4: [] };
      (kind === 'l4' ? entry.l4! : entry.servers).push({ gateway, server });
      byPort.set(number, entry);
    }
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}
