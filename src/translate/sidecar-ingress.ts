// A Sidecar's `ingress` listeners: the ports a workload's sidecar accepts, in place of those its
// Services declare, each sent on to its `defaultEndpoint`. As Istio's buildInboundChainConfigs
// and buildInboundClustersFromSidecar (pilot/pkg/networking/core/listener_inbound.go, cluster.go)
// build them with EnableSidecarServiceInboundListenerMerge off, its default: a Sidecar with
// ingress listeners replaces the Service-derived inbound ports, and the cluster of each is
// `inbound|PORT||` like a Service port's.
import { refOf, type Snapshot } from '../model/types';
import { socketAddress } from './core';
import { inboundProtocol, type InboundFacets, type InboundPort } from './inbound-ports';
import type { ProxyClass } from './types';

interface IngressListener {
  port?: { number?: number; protocol?: string; name?: string };
  defaultEndpoint?: string;
}

const UNIX_PREFIX = 'unix://';

/**
 * Where `defaultEndpoint` sends: `127.0.0.1:P` (or `[::1]:P`) to the app's own loopback, which on
 * a laptop without capture is the workload's local address (docs/conventions.md); `0.0.0.0:P`
 * (or `[::]:P`) to the workload's IP under capture, as Istio does, and to the local address
 * without it, where the workload's IP is the sidecar's own (sending there would loop);
 * `unix://PATH` to that socket. Unset, Istio passes the connection on to its original
 * destination; without capture there is none (the sidecar itself was addressed), so Mast sends
 * it to the app's local address on the listener's port, as it does for a Service port.
 */
function endpointOf(listener: IngressListener, port: number, proxy: Pick<ProxyClass, 'ips' | 'localAddress' | 'interceptionMode'>): InboundPort['endpoint'] {
  const given = listener.defaultEndpoint ?? '';
  if (given.startsWith(UNIX_PREFIX)) return { pipe: { path: given.slice(UNIX_PREFIX.length) } };
  const address = hostPort(given);
  if (!address) return socketAddress(proxy.localAddress, port);
  const podIp = address.wildcard && proxy.interceptionMode === 'REDIRECT' ? proxy.ips[0] : undefined;
  return socketAddress(podIp ?? proxy.localAddress, address.port);
}

/** A `host:port` defaultEndpoint's port, and whether its host is a wildcard; undefined for none. */
function hostPort(given: string): { port: number; wildcard: boolean } | undefined {
  const colon = given.lastIndexOf(':');
  if (colon < 0) return undefined;
  const host = given.slice(0, colon).replace(/^\[|\]$/g, '');
  return { port: Number(given.slice(colon + 1)), wildcard: host === '0.0.0.0' || host === '::' };
}

/**
 * Whether sidecarIngressPorts reads the proxy's IPs: under capture, for a `defaultEndpoint` on a
 * wildcard host (endpointOf), which sends to the pod's own IP.
 */
export function sidecarIngressReadsIps(snapshot: Snapshot, proxy: Pick<ProxyClass, 'role' | 'namespace' | 'labels' | 'interceptionMode'>): boolean {
  if (proxy.role !== 'sidecar' || proxy.interceptionMode !== 'REDIRECT') return false;
  const listeners = (snapshot.sidecarFor(proxy.namespace, proxy.labels)?.spec.ingress ?? []) as IngressListener[];
  return listeners.some((l) => hostPort(l.defaultEndpoint ?? '')?.wildcard === true);
}

/**
 * The inbound ports of a sidecar whose Sidecar (Snapshot.sidecarFor) has `ingress` listeners, in
 * port order, each named after the Sidecar for provenance; undefined when it has none, and the
 * ports come from the workload's Services (inbound-ports.ts).
 */
export function sidecarIngressPorts(snapshot: Snapshot, proxy: InboundFacets & Pick<ProxyClass, 'role' | 'localAddress' | 'interceptionMode'>): InboundPort[] | undefined {
  if (proxy.role !== 'sidecar') return undefined;
  const sidecar = snapshot.sidecarFor(proxy.namespace, proxy.labels);
  const listeners = (sidecar?.spec.ingress ?? []) as IngressListener[];
  if (!sidecar || listeners.length === 0) return undefined;
  const byPort = new Map<number, InboundPort>();
  for (const listener of listeners) {
    const number = listener.port?.number;
    if (!number || byPort.has(number)) continue; // validation refuses both
    const protocol = inboundProtocol({ name: listener.port?.name, port: number, protocol: 'TCP', ...(listener.port?.protocol ? { appProtocol: listener.port.protocol.toLowerCase() } : {}) });
    if (!protocol) continue;
    byPort.set(number, { targetPort: number, ...protocol, sources: [refOf(sidecar)], endpoint: endpointOf(listener, number, proxy) });
  }
  return [...byPort.values()].sort((a, b) => a.targetPort - b.targetPort);
}
