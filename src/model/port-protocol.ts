// Istio's protocol selection for a Service port, as its Kubernetes registry converts ports
// (ConvertProtocol in pkg/config/kube/conversion.go, protocol.Parse in pkg/config/protocol/instance.go):
// `appProtocol` when set (in place of the name, never as well), else the port name; Kubernetes'
// standard appProtocols (`kubernetes.io/h2c`, `/ws`, `/wss`) first, then a `grpc-web` prefix, then
// the text before the first `-`. A TCP port whose name says nothing is TCP on the well-known ports
// 25, 53, 3306 and 27017, and otherwise one Istio sniffs. Mast sniffs such a port on the outbound
// side (listeners/outbound.ts: HTTP/1.1 and h2c to the HTTP chain, other bytes to TCP) and on the
// inbound side's plaintext chains (listeners/inbound.ts); its mTLS chains proxy it as HTTP.
import type { ServicePort } from './types';

/**
 * How Mast proxies a port: HTTP/1.1 or HTTP/2 through the HTTP connection manager, plain TCP, or
 * TLS (bytes proxied as TCP, the destination chosen by SNI: VirtualService `tls` routes).
 */
export type Protocol = 'HTTP' | 'HTTP2' | 'TCP' | 'TLS';

// A Map rather than an object literal, so that a port named `constructor` is not a protocol.
// protocol.Parse's names (any case), each as Mast proxies it; `udp` is the only one Mast cannot.
const BY_NAME = new Map<string, Protocol | 'UDP'>(Object.entries({
  http: 'HTTP',
  http_proxy: 'HTTP',
  http2: 'HTTP2',
  grpc: 'HTTP2',
  'grpc-web': 'HTTP2',
  https: 'TLS',
  tls: 'TLS',
  tcp: 'TCP',
  mongo: 'TCP',
  mysql: 'TCP',
  redis: 'TCP',
  udp: 'UDP',
} satisfies Record<string, Protocol | 'UDP'>));

/** Kubernetes' standard application protocols, which Istio reads in `appProtocol` only. */
const KUBERNETES_APP_PROTOCOLS = new Map<string, Protocol>([
  ['kubernetes.io/h2c', 'HTTP2'],
  ['kubernetes.io/ws', 'HTTP'],
  ['kubernetes.io/wss', 'TLS'],
]);

/** Ports Istio never sniffs, since sniffing would break their servers-speak-first protocols (wellKnownPorts). */
const WELL_KNOWN_TCP_PORTS = new Set([25, 53, 3306, 27017]);

const GRPC_WEB = 'grpc-web';

/**
 * What Istio's ConvertProtocol makes of a port: a protocol, `UDP` (not proxied), or undefined when
 * nothing names one (Istio's UnsupportedProtocol, a port it sniffs).
 */
export function istioProtocol(port: Pick<ServicePort, 'port' | 'name' | 'appProtocol' | 'protocol'>): Protocol | 'UDP' | undefined {
  if (port.protocol === 'UDP') return 'UDP';
  const name = port.appProtocol ?? port.name ?? '';
  const standard = port.appProtocol !== undefined ? KUBERNETES_APP_PROTOCOLS.get(port.appProtocol) : undefined;
  if (standard) return standard;
  if (name.slice(0, GRPC_WEB.length).toLowerCase() === GRPC_WEB) return 'HTTP2';
  const found = BY_NAME.get(name.split('-')[0]!.toLowerCase());
  if (found) return found;
  return WELL_KNOWN_TCP_PORTS.has(port.port) ? 'TCP' : undefined;
}

/**
 * The protocol Mast proxies a port with, or undefined for ports Envoy's TCP listeners cannot carry
 * (UDP and SCTP, or a TCP port whose name or appProtocol says UDP). Ports Istio would sniff are
 * HTTP here; the listeners sniff them (istioProtocol tells them apart).
 */
export function portProtocol(port: Pick<ServicePort, 'port' | 'name' | 'appProtocol' | 'protocol'>): Protocol | undefined {
  if (port.protocol !== 'TCP') return undefined;
  const protocol = istioProtocol(port);
  return protocol === 'UDP' ? undefined : (protocol ?? 'HTTP');
}

export function isHttp(protocol: Protocol): boolean {
  return protocol === 'HTTP' || protocol === 'HTTP2';
}
