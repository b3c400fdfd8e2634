// Which Gateway servers a router serves: those of the Gateways whose selector matches its labels.
import type { Gateway, Snapshot } from '../model/types';
import { labelsMatch } from '../model/labels';
import { PROXY_RESERVED_PORTS } from '../model/proxy-ports';
import { gatewayKey } from './routes/virtual-services';
import { byKey } from './order';

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
 * Plain HTTP servers only: HTTPS and TLS need certificates (SDS), and TCP servers need
 * VirtualService `tcp` routes, neither of which Mast translates yet.
 */
const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC']);

/** A Gateway as resolved VirtualService `gateways` entries name it: `namespace/name`. */
export function gatewayKeyOf(gateway: Gateway): string {
  return gatewayKey(gateway.meta.name, gateway.meta.namespace);
}

export function gatewayPorts(snapshot: Snapshot, labels: Record<string, string>): GatewayPort[] {
  const byPort = new Map<number, BoundServer[]>();
  const gateways = snapshot
    .gateways()
    .filter((g) => labelsMatch(g.spec.selector, labels))
    .sort(byKey(gatewayKeyOf));
  for (const gateway of gateways) {
    for (const server of gateway.spec.servers ?? []) {
      if (!HTTP_PROTOCOLS.has(server.port.protocol.toUpperCase())) continue;
      if (PROXY_RESERVED_PORTS.has(server.port.number)) continue; // MAST2102: the proxy's own port
      const list = byPort.get(server.port.number) ?? [];
      list.push({ gateway, server });
      byPort.set(server.port.number, list);
    }
  }
  return [...byPort.entries()].sort(([a], [b]) => a - b).map(([port, servers]) => ({ port, servers }));
}
