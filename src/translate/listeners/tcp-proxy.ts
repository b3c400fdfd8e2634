import type { EnvoyJson } from '../types';
import { typed } from '../core';

const TCP_PROXY = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/**
 * The tcp_proxy network filter to one cluster; stats are named after the cluster, as Istio's.
 * `tunnel`: a DestinationRule's tunneling_config (traffic-policy/tunnel.ts).
 */
export function tcpProxy(cluster: string, tunnel?: EnvoyJson): EnvoyJson {
  return { name: 'envoy.filters.network.tcp_proxy', typed_config: typed(TCP_PROXY, { stat_prefix: cluster, cluster, ...(tunnel ? { tunneling_config: tunnel } : {}) }) };
}

/**
 * The tcp_proxy network filter spreading connections over clusters by relative weight
 * (TcpProxy.weighted_clusters: each connection goes to one cluster, picked with probability
 * weight / total), stats under `statPrefix`.
 */
export function weightedTcpProxy(statPrefix: string, clusters: readonly { name: string; weight: number }[], tunnel?: EnvoyJson): EnvoyJson {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: typed(TCP_PROXY, {
      stat_prefix: statPrefix,
      weighted_clusters: { clusters: clusters.map((c) => ({ name: c.name, weight: c.weight })) },
      ...(tunnel ? { tunneling_config: tunnel } : {}),
    }),
  };
}
