// Istio's protocol selection for a Service port: `appProtocol` first, then the port name's prefix
// before the first `-` (`http-web` -> http). Istio sniffs the protocol of ports whose name says
// nothing (unnamed, or an unknown prefix such as `web`); Mast does not sniff yet and treats those
// ports as HTTP, the common case for the services a mesh routes.
import type { ServicePort } from './types';

/** How Mast proxies a port: HTTP/1.1 or HTTP/2 through the HTTP connection manager, or plain TCP. */
export type Protocol = 'HTTP' | 'HTTP2' | 'TCP';

// A Map rather than an object literal, so that a port named `constructor` is not a protocol.
const BY_NAME = new Map<string, Protocol>(Object.entries({
  http: 'HTTP',
  'kubernetes.io/ws': 'HTTP',
  http2: 'HTTP2',
  grpc: 'HTTP2',
  'grpc-web': 'HTTP2',
  'kubernetes.io/h2c': 'HTTP2',
  // TLS is proxied as opaque bytes: Mast does not terminate or route on SNI yet.
  https: 'TCP',
  tls: 'TCP',
  'kubernetes.io/wss': 'TCP',
  tcp: 'TCP',
  mongo: 'TCP',
  mysql: 'TCP',
  redis: 'TCP',
} satisfies Record<string, Protocol>));

/** The protocol of a port, or undefined for UDP and SCTP ports, which Envoy's TCP listeners cannot carry. */
export function portProtocol(port: Pick<ServicePort, 'name' | 'appProtocol' | 'protocol'>): Protocol | undefined {
  if (port.protocol !== 'TCP') return undefined;
  const fromAppProtocol = port.appProtocol ? BY_NAME.get(port.appProtocol.toLowerCase()) : undefined;
  if (fromAppProtocol) return fromAppProtocol;
  const prefix = (port.name ?? '').toLowerCase().split('-')[0] ?? '';
  return BY_NAME.get(prefix) ?? 'HTTP';
}

export function isHttp(protocol: Protocol): boolean {
  return protocol !== 'TCP';
}
