import type { EnvoyJson } from '../types';
import { typed } from '../core';

/** The tcp_proxy network filter to one cluster; stats are named after the cluster, as Istio's. */
export function tcpProxy(cluster: string): EnvoyJson {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: typed('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', { stat_prefix: cluster, cluster }),
  };
}
