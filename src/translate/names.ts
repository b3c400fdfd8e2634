// The one naming scheme for what Mast hands Envoy. Names follow Istio's so that people who read
// `istioctl proxy-config` output recognise them, and so stats keep the same names.

export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
/**
 * Where inbound traffic for ports no Service declares goes. It is not PassthroughCluster because
 * under iptables capture it must leave from 127.0.0.6, the source address capture lets through;
 * otherwise the connection would be captured again and loop.
 */
export const INBOUND_PASSTHROUGH_CLUSTER = 'InboundPassthroughCluster';

export const VIRTUAL_OUTBOUND_LISTENER = 'virtualOutbound';
export const VIRTUAL_INBOUND_LISTENER = 'virtualInbound';
export const VIRTUAL_OUTBOUND_PORT = 15001;
export const VIRTUAL_INBOUND_PORT = 15006;

/** `outbound|9080||reviews.default.svc.cluster.local`, or with a subset `outbound|9080|v1|...`. */
export function outboundClusterName(port: number, host: string, subset = ''): string {
  return `outbound|${port}|${subset}|${host}`;
}

/** `inbound|9080||`: the app behind this sidecar on one target port. */
export function inboundClusterName(targetPort: number): string {
  return `inbound|${targetPort}||`;
}

/**
 * What an inbound HTTP connection manager's stat prefix ends with on a chain that takes mutual
 * TLS: its requests count apart from plaintext ones, and the bootstrap's stats tags read it as
 * Istio's `connection_security_policy="mutual_tls"` (src/bootstrap/stats.ts, docs/telemetry.md).
 */
export const MUTUAL_TLS_STAT_SUFFIX = '_mutual_tls';

/** `inbound_0.0.0.0_9080`, `inbound_0.0.0.0_9080_mutual_tls` on a mutual TLS chain: Istio's prefix (`inbound_` and the listener name it would have). */
export function inboundStatPrefix(targetPort: number, mutualTls: boolean): string {
  return `inbound_${listenerName('0.0.0.0', targetPort)}${mutualTls ? MUTUAL_TLS_STAT_SUFFIX : ''}`;
}

/** `0.0.0.0_9080`: listeners are named after what they bind (or would bind, under capture). */
export function listenerName(address: string, port: number): string {
  return `${address}_${port}`;
}

/** Sidecar outbound HTTP route configs are shared by every service on the port: `9080`. */
export function outboundRouteName(port: number): string {
  return String(port);
}

export function gatewayRouteName(port: number): string {
  return `http.${port}`;
}

/**
 * A gateway server that terminates TLS has a route table of its own, so that a connection's SNI
 * picks the hosts its requests can reach: `https.443.PORT_NAME.GATEWAY.NAMESPACE` (Istio's
 * gatewayRDSRouteName).
 */
export function gatewayTlsRouteName(port: number, portName: string, gateway: string, namespace: string): string {
  return `https.${port}.${portName}.${gateway}.${namespace}`;
}

/** `reviews.default.svc.cluster.local:9080`; gateways use the same shape with the server port. */
export function virtualHostName(host: string, port: number): string {
  return `${host}:${port}`;
}
