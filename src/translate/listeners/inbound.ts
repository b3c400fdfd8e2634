// `virtualInbound` (15006): under capture, every connection to the pod arrives here and is
// matched by its original destination port; a filter chain per port the app serves, a
// passthrough for the rest. Without capture the listener also binds each `ip:targetPort` of the
// workload itself, so traffic sent straight to the pod IP reaches the same filter chains.
//
// The original destination is restored by the original_dst listener filter, not by
// `use_original_dst`: that would hand an inbound connection to port 9080 over to the outbound
// listener 0.0.0.0_9080, which claims that port for the app's own calls. Istio does the same.
import type { EnvoyJson, NamedResource, ProxyClass } from '../types';
import type { InboundPort } from '../inbound-ports';
import { socketAddress, typed } from '../core';
import { BLACKHOLE_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER, VIRTUAL_INBOUND_LISTENER, VIRTUAL_INBOUND_PORT, inboundClusterName, listenerName } from '../names';
import { sourceKeys } from '../provenance';
import { isHttp } from '../protocol';
import { inboundRouteConfig } from '../routes/inbound';
import { httpConnectionManager } from './http-connection-manager';
import { tcpProxy } from './tcp-proxy';
import type { FilterContext } from '../filters/http-filter';
import { networkRbac } from '../../policy/authorization/network-filter';
import { policySources } from '../../policy/workload-policies';

const ORIGINAL_DST_FILTER = {
  name: 'envoy.filters.listener.original_dst',
  typed_config: typed('envoy.extensions.filters.listener.original_dst.v3.OriginalDst'),
};

export type InboundListenerFacets = Pick<ProxyClass, 'interceptionMode' | 'ips'>;

/** `rbac`: the workload's network RBAC filters, in front of tcp_proxy; an HTTP port's chain computes its own filters from `context`. */
function portChain(port: InboundPort, context: FilterContext, rbac: readonly EnvoyJson[]): EnvoyJson {
  const cluster = inboundClusterName(port.targetPort);
  const filter = isHttp(port.protocol)
    ? httpConnectionManager({
        statPrefix: `inbound_${listenerName('0.0.0.0', port.targetPort)}`,
        routes: { inline: inboundRouteConfig(port.targetPort) },
        chain: 'inbound',
        context,
      })
    : tcpProxy(cluster);
  return {
    name: cluster,
    filter_chain_match: { destination_port: port.targetPort },
    filters: isHttp(port.protocol) ? [filter] : [...rbac, filter],
  };
}

/**
 * Connections addressed to 15006 itself would be passed through to 15006 again, forever; Istio
 * ends them with this chain.
 */
function selfChain(): EnvoyJson {
  return {
    name: 'virtualInbound-blackhole',
    filter_chain_match: { destination_port: VIRTUAL_INBOUND_PORT },
    filters: [tcpProxy(BLACKHOLE_CLUSTER)],
  };
}

/**
 * The inbound listener of a sidecar whose app serves `ports`, with the AuthorizationPolicy and
 * RequestAuthentication filters of its workload (`context`, src/policy/).
 */
export function virtualInbound(ports: readonly InboundPort[], proxy: InboundListenerFacets, context: FilterContext): NamedResource {
  const rbac = networkRbac(context);
  const capture = proxy.interceptionMode === 'REDIRECT';
  // Without capture each sidecar binds its own pod IP, so sidecars sharing a host do not collide.
  const address = capture ? '0.0.0.0' : (proxy.ips[0] ?? '0.0.0.0');
  const additional = capture
    ? []
    : proxy.ips.flatMap((ip) => ports.map((p) => ({ address: socketAddress(ip, p.targetPort) })));
  return {
    name: VIRTUAL_INBOUND_LISTENER,
    json: {
      name: VIRTUAL_INBOUND_LISTENER,
      address: socketAddress(address, VIRTUAL_INBOUND_PORT),
      ...(additional.length > 0 ? { additional_addresses: additional } : {}),
      // Without capture the local address already is the destination.
      ...(capture ? { listener_filters: [ORIGINAL_DST_FILTER] } : {}),
      traffic_direction: 'INBOUND',
      filter_chains: [...ports.map((p) => portChain(p, context, rbac)), selfChain()],
      // The workload's policies hold on ports no Service declares too (TCP rules only, as in Istio).
      default_filter_chain: { name: 'virtualInbound-passthrough', filters: [...rbac, tcpProxy(INBOUND_PASSTHROUGH_CLUSTER)] },
    },
    sources: sourceKeys([...ports.flatMap((p) => p.sources), ...policySources(context)]),
  };
}
