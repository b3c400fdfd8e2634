// What a Gateway server in tls.mode AUTO_PASSTHROUGH is told beyond Istio's own validation, which
// accepts the mode on any protocol (validateTLSOptions, pkg/config/validation/validation.go) and
// serves it as Istio's translation does (translate/sni-dnat.ts):
// - MAST2048: the mode is meant for protocol TLS (Istio's samples, multicluster/expose-services.yaml).
//   On an HTTP port it does nothing (IsHTTPServer: the server serves plain HTTP); on HTTPS Istio,
//   and Mast, pass TLS through by SNI exactly as on TLS (IsPassThroughServer), HTTP never parsed.
// - MAST2049: a host's `namespace/` part does not limit which services the SNI reaches: the chains
//   are built from the server's SNI hosts (GetSNIHostsForServer), which drop it.
// - MAST3009 (autoPassthroughCoversNothing): the server's hosts cover no service of the mesh.
import { diagnostic } from '../errors';
import type { FieldReader } from '../parse/read';
import { refOf, type Diagnostic, type Gateway, type MeshService } from '../types';
import { hostSubsetOf } from './host-match';

const HTTP_PROTOCOLS = new Set(['http', 'http2', 'http_proxy', 'grpc', 'grpc-web']);

interface Server {
  port?: { protocol?: string };
  hosts?: string[];
  tls?: { mode?: string };
}

/** MAST2048 and MAST2049 for one server of a Gateway, at `at` (`spec.servers[i]`). */
export function checkAutoPassthrough(read: FieldReader, server: Server, at: string): void {
  if (server.tls?.mode !== 'AUTO_PASSTHROUGH') return;
  const protocol = (server.port?.protocol ?? '').toLowerCase();
  if (HTTP_PROTOCOLS.has(protocol)) {
    read.report('MAST2048', `${at}.tls.mode`, `AUTO_PASSTHROUGH on a ${protocol.toUpperCase()} server does nothing: the server serves plain HTTP; AUTO_PASSTHROUGH belongs on a server of protocol TLS`);
  } else if (protocol === 'https') {
    read.report('MAST2048', `${at}.port.protocol`, 'AUTO_PASSTHROUGH passes mesh mTLS through by SNI, never parsing HTTP: it is served as on protocol TLS, which is what to declare');
  }
  (server.hosts ?? []).forEach((host, j) => {
    const slash = host.indexOf('/');
    if (slash < 0 || host.slice(0, slash) === '*') return;
    read.report('MAST2049', `${at}.hosts[${j}]`, `the namespace ${JSON.stringify(host.slice(0, slash))} does not limit an AUTO_PASSTHROUGH server: services named ${host.slice(slash + 1)} in every namespace are reachable through it`);
  });
}

/** Whether an AUTO_PASSTHROUGH server of `protocol` gets SNI-DNAT chains (model/gateway-servers.ts autoPassesTlsThrough). */
function served(protocol: string | undefined): boolean {
  const p = (protocol ?? '').toUpperCase();
  return p === 'TLS' || p === 'HTTPS';
}

/**
 * MAST3009 (a warning) for each served AUTO_PASSTHROUGH server of `gateways` whose hosts (namespace
 * parts dropped, as translation drops them) cover no host of `services` that is not MESH_EXTERNAL.
 */
export function autoPassthroughCoversNothing(gateways: readonly Gateway[], services: readonly MeshService[]): Diagnostic[] {
  const hosts = services.filter((s) => !(s.kind === 'ServiceEntry' && s.meshExternal)).map((s) => s.hostname);
  return gateways.flatMap((gateway) => (gateway.spec.servers ?? []).flatMap((server, i) => {
    if (server?.tls?.mode !== 'AUTO_PASSTHROUGH' || !served(server.port?.protocol)) return [];
    const names = (server.hosts ?? []).map((h) => h.slice(h.indexOf('/') + 1));
    if (hosts.some((host) => names.some((n) => hostSubsetOf(host, n)))) return [];
    const message = `no service of the mesh has a name ${names.join(', ')} covers: no SNI outbound_.PORT_.SUBSET_.HOST reaches anything through this server`;
    return [diagnostic('MAST3009', message, { object: refOf(gateway), origin: gateway.origin, field: `spec.servers[${i}].hosts` })];
  }));
}
