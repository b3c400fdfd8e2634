// VirtualService `tcp` and `tls` rules as Envoy sees them: which of a rule's matches apply to a
// proxy (the static predicates: gateway, port, source labels and namespace, as Istio's matchTCP,
// matchTLS and l4SingleMatch in pilot/pkg/networking/core/tls.go and gateway.go evaluate them when
// building config) and the tcp_proxy its route becomes (buildOutboundNetworkFilters in
// networkfilter.go). The runtime predicates (SNI names, destination subnets) become filter chain
// matches, built by the listeners that hold them.
import type { VirtualService, VirtualServiceSpec } from '../../model/types';
import type { EnvoyJson } from '../types';
import { tcpProxy, weightedTcpProxy } from '../listeners/tcp-proxy';
import type { RouteContext } from './context';
import { destinationCluster } from './destination';
import { gatewayKey } from './virtual-services';
import { resolveHost } from '../../model/hosts';
import { tunnelingConfig } from '../traffic-policy/tunnel';

export type TcpRule = NonNullable<VirtualServiceSpec['tcp']>[number];
export type TlsRule = NonNullable<VirtualServiceSpec['tls']>[number];
export type L4Match = NonNullable<TcpRule['match']>[number] | NonNullable<TlsRule['match']>[number];
export type L4RouteDestination = NonNullable<TcpRule['route']>[number];

/** Where the rules are being applied: a sidecar (gateway `mesh`) or a gateway server. */
export interface L4Where {
  /** The listener port: the service port on a sidecar, the server port on a gateway. */
  port: number;
  /** The gateways served, as `gateways` entries resolve (`mesh`, `namespace/name`). */
  gateways: ReadonlySet<string>;
  /** The sidecar's namespace and labels; undefined on gateways, where Istio's l4SingleMatch reads neither. */
  source?: { namespace: string; labels: Readonly<Record<string, string>> };
}

/**
 * Whether `match`'s static predicates hold where the rules are applied; `vs` resolves a bare
 * gateway name in its own namespace. No match at all matches everything.
 */
export function l4MatchApplies(match: L4Match | undefined | null, vs: VirtualService, where: L4Where): boolean {
  if (!match) return true;
  const gateways = match.gateways ?? [];
  if (gateways.length > 0 && !gateways.some((g) => where.gateways.has(gatewayKey(g, vs.meta.namespace)))) return false;
  if (match.port && match.port !== where.port) return false;
  if (!where.source) return true;
  const labelsOk = Object.entries(match.sourceLabels ?? {}).every(([k, v]) => where.source!.labels[k] === v);
  const namespaceOk = !match.sourceNamespace || match.sourceNamespace === where.source.namespace;
  return labelsOk && namespaceOk;
}

/**
 * The tcp_proxy a rule's route becomes. One destination is a plain cluster, stats under its name;
 * several are weighted clusters (those of weight above 0), stats under `NAME.NAMESPACE` of the
 * VirtualService, as Istio's buildOutboundNetworkFiltersWithWeightedClusters names them. Each
 * destination's cluster is picked as for HTTP routes (destinationCluster: its port, or the
 * service's only port, or the listener's). On a sidecar (`source`), the DestinationRule of the
 * first destination's host adds its `tunnel`: the subset's for one destination, the rule's for
 * several (a subset's cannot apply to a listener shared by clusters), as Istio's
 * buildOutboundNetworkFilters; gateways get none.
 */
export function l4RouteFilter(route: readonly L4RouteDestination[], vs: VirtualService, ctx: Pick<RouteContext, 'snapshot' | 'port'>, source?: L4Where['source']): EnvoyJson {
  const clusters = route.map((r) => ({ name: destinationCluster(r.destination, vs, ctx), weight: r.weight ?? 0 }));
  const weighted = clusters.filter((c) => c.weight > 0);
  const first = route[0]!.destination;
  const rule = source && first ? ctx.snapshot.destinationRuleFor(resolveHost(first.host, vs.meta.namespace, ctx.snapshot.domain), source.namespace, source.labels) : undefined;
  if (clusters.length === 1 || weighted.length === 0) return tcpProxy(clusters[0]!.name, tunnelingConfig(rule, first?.subset));
  return weightedTcpProxy(`${vs.meta.name}.${vs.meta.namespace}`, weighted, tunnelingConfig(rule));
}

/** An Envoy CidrRange for each `destinationSubnets` entry (`10.0.0.0/8`, or a bare address as /32 or /128). */
export function prefixRanges(subnets: readonly string[]): EnvoyJson[] {
  return subnets.map((subnet) => {
    const [address, length] = subnet.split('/') as [string, string | undefined];
    return { address_prefix: address, prefix_len: length !== undefined ? Number(length) : address.includes(':') ? 128 : 32 };
  });
}
