// DestinationRule `tunnel` (TrafficPolicy.TunnelSettings) as the tcp_proxy's tunneling_config, as
// Istio's tunnelingconfig.Apply sets it (pilot/pkg/networking/core/tunnelingconfig/apply.go): a
// sidecar's TCP and TLS connections to the destination are carried in an HTTP CONNECT (or POST)
// tunnel to targetHost:targetPort, through the cluster's endpoints. Gateways never get one (Istio
// passes tunnelingconfig.Skip there).
import type { DestinationRule } from '../../model/types';
import type { EnvoyJson } from '../types';

/**
 * A traffic policy read for its `tunnel` alone, through `unknown`: letting tsc compare Istio's
 * generated policy types (spelled out once per level) costs minutes and gigabytes (effective.ts).
 */
type WithTunnel = { tunnel?: { protocol?: string; targetHost?: string; targetPort?: number } };

/**
 * TcpProxy.TunnelingConfig for `rule`: a named subset's own `tunnel` (the top level's is not
 * inherited, as in Istio), else the top level's; undefined without one. `hostname` is
 * `host:port` (Go's net.JoinHostPort: an IPv6 host in brackets); `use_post` for POST.
 */
export function tunnelingConfig(rule: DestinationRule | undefined, subset?: string): EnvoyJson | undefined {
  const own: unknown = subset ? rule?.spec.subsets?.find((s) => s.name === subset)?.trafficPolicy : undefined;
  const top: unknown = rule?.spec.trafficPolicy;
  const tunnel = ((subset ? own : top) as WithTunnel | undefined)?.tunnel;
  if (!tunnel) return undefined;
  const host = tunnel.targetHost ?? '';
  return { hostname: `${host.includes(':') ? `[${host}]` : host}:${tunnel.targetPort ?? 0}`, ...(tunnel.protocol === 'POST' ? { use_post: true } : {}) };
}
