// The one builder of the HTTP connection manager network filter.
import type { EnvoyJson } from '../types';
import { adsConfigSource, typed } from '../core';
import { httpFilterEntries, type FilterContext } from '../filters/http-filter';
import { httpFilters, type ChainKind } from '../filters/chain';
import { inboundClientCertDetails } from '../../policy/mtls/xfcc';

export interface HcmOptions {
  statPrefix: string;
  /** The route table: by name over RDS, or inline. */
  routes: { rds: string } | { inline: EnvoyJson };
  chain: ChainKind;
  /** The mesh and workload of an inbound or gateway chain, which its computed filters (RBAC, jwt_authn) read. */
  context?: FilterContext;
}

export function httpConnectionManager(opts: HcmOptions): EnvoyJson {
  const routes = 'rds' in opts.routes
    ? { rds: { config_source: adsConfigSource(), route_config_name: opts.routes.rds } }
    : { route_config: opts.routes.inline };
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: typed('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
      stat_prefix: opts.statPrefix,
      ...routes,
      http_filters: httpFilterEntries(httpFilters(opts.chain), opts.context),
      // A gateway is the edge: the peer is the real client, and x-forwarded-for should say so.
      // Sidecars keep what the caller sent, as Istio's do.
      ...(opts.chain === 'gateway' ? { use_remote_address: true } : {}),
      // A sidecar's app learns who called it from the peer's certificate.
      ...(opts.chain === 'inbound' ? inboundClientCertDetails() : {}),
      upgrade_configs: [{ upgrade_type: 'websocket' }],
    }),
  };
}
