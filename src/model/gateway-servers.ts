// Which Gateway servers one gateway workload serves, as Istio's mergeGateways decides it
// (pilot/pkg/model/gateway.go): the servers of every Gateway selecting the workload, oldest
// Gateway first (PushContext.initGateways sorts them by creation time), grouped by port. Where two
// servers cannot share a port the older one keeps it and the newer one is dropped; translation
// serves what this keeps, and validation reports what it drops (validate/gateway-conflicts.ts), so
// the two cannot disagree.
import { PROXY_RESERVED_PORTS } from './proxy-ports';
import type { Gateway } from './types';

export type Server = NonNullable<Gateway['spec']['servers']>[number];

export interface BoundServer {
  gateway: Gateway;
  server: Server;
}

/** The servers on one port number, which share a listener (and, for HTTP, route tables). */
export interface GatewayPort {
  port: number;
  /** Plain HTTP servers, and HTTPS servers that terminate TLS (see terminatesTls). */
  servers: BoundServer[];
  /**
   * Servers routed by VirtualService `tcp` rules (TCP, MONGO, REDIS, MYSQL without TLS; TLS after
   * terminating it, see terminatesTlsToTcp) or `tls` rules by SNI (TLS or HTTPS in mode
   * PASSTHROUGH): translate/listeners/tcp-gateway.ts; or by SNI to the SNI-DNAT cluster it names
   * (TLS or HTTPS in mode AUTO_PASSTHROUGH): translate/sni-dnat.ts.
   */
  l4?: BoundServer[];
}

/** A server left out, and the older server that keeps what it asked for. */
export interface DroppedServer extends BoundServer {
  /** Its index in the Gateway's `servers`. */
  index: number;
  keptBy: BoundServer;
  reason: 'protocol' | 'sni';
  /** For `sni`: the names both want. */
  names?: string[];
}

/** The modes whose certificate is the user's (credential names or files); ISTIO_MUTUAL's is the gateway's own. */
const CERTIFICATE_MODES = new Set(['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL']);

/**
 * Whether `server`'s TLS settings in mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL name a certificate:
 * `credentialName`, `credentialNames`, `tlsCertificates`, or both `serverCertificate` and
 * `privateKey` (Istio's validateTLSOptions requires one; translate/gateway-tls.ts serves each).
 */
function hasCertificate(server: Server): boolean {
  const tls = server.tls;
  if (!tls || !CERTIFICATE_MODES.has(tls.mode ?? '')) return false;
  return Boolean(tls.credentialName || tls.credentialNames?.length || tls.tlsCertificates?.length || (tls.serverCertificate && tls.privateKey));
}

/**
 * Whether Mast terminates TLS for `server` and then routes HTTP: HTTPS in mode SIMPLE, MUTUAL or
 * OPTIONAL_MUTUAL with a certificate, or in mode ISTIO_MUTUAL (translate/gateway-tls.ts builds the
 * TLS context).
 */
export function terminatesTls(server: Server): boolean {
  if (server.port.protocol.toUpperCase() !== 'HTTPS') return false;
  return server.tls?.mode === 'ISTIO_MUTUAL' || hasCertificate(server);
}

/**
 * Whether Mast terminates TLS for `server` and then routes the plain TCP stream by its
 * VirtualServices' `tcp` rules, as Istio's createGatewayTCPFilterChainOpts does for a TLS server
 * that does not pass through: TLS in mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL with a certificate
 * (ISTIO_MUTUAL there is not translated yet: validation says so).
 */
export function terminatesTlsToTcp(server: Server): boolean {
  return server.port.protocol.toUpperCase() === 'TLS' && hasCertificate(server);
}

/**
 * Whether `server` passes TLS through untouched, its destination picked by SNI from VirtualService
 * `tls` rules (translate/listeners/tcp-gateway.ts): TLS or HTTPS in mode PASSTHROUGH (the mode's zero value).
 */
export function passesTlsThrough(server: Server): boolean {
  return passthroughMode(server) === 'PASSTHROUGH';
}

/**
 * Whether `server` passes TLS through to the cluster its SNI names, `outbound_.PORT_.SUBSET_.HOST`,
 * with no VirtualService (translate/sni-dnat.ts): TLS or HTTPS in mode AUTO_PASSTHROUGH, which
 * Istio's IsPassThroughServer (pkg/config/gateway/gateway.go) serves on either protocol.
 */
export function autoPassesTlsThrough(server: Server): boolean {
  return passthroughMode(server) === 'AUTO_PASSTHROUGH';
}

/** The mode of a TLS or HTTPS server that passes TLS through, else undefined (the mode's zero value is PASSTHROUGH). */
function passthroughMode(server: Server): 'PASSTHROUGH' | 'AUTO_PASSTHROUGH' | undefined {
  const protocol = server.port.protocol.toUpperCase();
  if ((protocol !== 'TLS' && protocol !== 'HTTPS') || server.tls === undefined) return undefined;
  const mode = server.tls.mode ?? 'PASSTHROUGH';
  return mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH' ? mode : undefined;
}

/**
 * The SNI names a server's filter chain matches (Istio's GetSNIHostsForServer: hosts without their
 * `namespace/` part, each once, sorted); undefined when a host is `*`, which matches any name or
 * none, so the chain has no server_names at all.
 */
export function sniHosts(server: Server): string[] | undefined {
  const hosts = [...new Set(server.hosts.map((h) => h.slice(h.indexOf('/') + 1)))].sort();
  return hosts.includes('*') ? undefined : hosts;
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
  if (passthroughMode(server) || terminatesTlsToTcp(server)) return 'l4';
  return undefined;
}

/**
 * The servers of `gateways` (those selecting one workload, oldest first) by port, and the servers
 * dropped. As in Istio's mergeGateways, a port is plain-text HTTP or not as its first server is (a
 * server of the other kind is dropped), and a TLS or TCP server whose SNI names (any of them, or
 * `*` for all) an earlier server on the port already has is dropped: two filter chains with one
 * match make Envoy refuse the listener. Servers on the proxy's own ports are skipped (MAST2102).
 */
export function mergeGatewayServers(gateways: readonly Gateway[]): { ports: GatewayPort[]; dropped: DroppedServer[] } {
  const byPort = new Map<number, GatewayPort>();
  const sniTaken = new Map<number, Map<string, BoundServer>>();
  const firstOnPort = new Map<number, { plain: boolean; bound: BoundServer }>();
  const dropped: DroppedServer[] = [];
  for (const gateway of gateways) {
    (gateway.spec.servers ?? []).forEach((server, index) => {
      const kind = serverKind(server);
      if (!kind) return;
      const number = server.port.number;
      if (PROXY_RESERVED_PORTS.has(number)) return;
      const bound = { gateway, server };
      const first = firstOnPort.get(number);
      if (first && first.plain !== (kind === 'http')) {
        dropped.push({ ...bound, index, keptBy: first.bound, reason: 'protocol' });
        return;
      }
      if (!first) firstOnPort.set(number, { plain: kind === 'http', bound });
      // A terminating server's SNI names, and `*` for an opaque TCP server's chain, which matches
      // any name; a passthrough server's names come from its VirtualServices (tcp-gateway.ts).
      const names = kind === 'tls' || terminatesTlsToTcp(server) ? (sniHosts(server) ?? ['*']) : kind === 'l4' && !server.tls ? ['*'] : [];
      const taken = sniTaken.get(number) ?? new Map<string, BoundServer>();
      const clash = names.filter((n) => taken.has(n));
      if (clash.length > 0) {
        dropped.push({ ...bound, index, keptBy: taken.get(clash[0]!)!, reason: 'sni', names: clash });
        return;
      }
      for (const n of names) taken.set(n, bound);
      sniTaken.set(number, taken);
      const entry = byPort.get(number) ?? { port: number, servers: [], l4: [] };
      (kind === 'l4' ? entry.l4! : entry.servers).push(bound);
      byPort.set(number, entry);
    });
  }
  return { ports: [...byPort.values()].sort((a, b) => a.port - b.port), dropped };
}
