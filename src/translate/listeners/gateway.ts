// A gateway listener per server port. Without capture it binds the router's own address, so
// several gateways can share a host; otherwise every address, as Istio's gateways do.
import { refOf } from '../../model/types';
import type { NamedResource, ProxyClass } from '../types';
import type { GatewayPort } from '../gateway-servers';
import type { FilterContext } from '../filters/http-filter';
import { policySources } from '../../policy/workload-policies';
import { socketAddress } from '../core';
import { gatewayRouteName, listenerName } from '../names';
import { sourceKeys } from '../provenance';
import { httpConnectionManager } from './http-connection-manager';

export type GatewayListenerFacets = Pick<ProxyClass, 'interceptionMode' | 'ips'>;

/**
 * The listener of one gateway port; `context` (the gateway's workload and the mesh) gives its
 * chain the AuthorizationPolicy and RequestAuthentication filters that select the gateway.
 */
export function gatewayListener(gp: GatewayPort, proxy: GatewayListenerFacets, context: FilterContext): NamedResource {
  const address = proxy.interceptionMode === 'REDIRECT' ? '0.0.0.0' : (proxy.ips[0] ?? '0.0.0.0');
  const name = listenerName(address, gp.port);
  return {
    name,
    json: {
      name,
      address: socketAddress(address, gp.port),
      traffic_direction: 'OUTBOUND',
      filter_chains: [
        { filters: [httpConnectionManager({ statPrefix: `outbound_${name}`, routes: { rds: gatewayRouteName(gp.port) }, chain: 'gateway', context })] },
      ],
    },
    sources: sourceKeys([...gp.servers.map((s) => refOf(s.gateway)), ...policySources(context)]),
  };
}
