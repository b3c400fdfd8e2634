// The one shape every HTTP filter has, so that adding one (CORS, RBAC, JWT, rate limit) means a
// new file and a row in chain.ts, not edits to the listener or route builders.
import type { EnvoyJson } from '../types';
import type { HttpRule } from '../routes/istio-types';

export interface HttpFilter {
  /** Envoy's filter name; also the key of the filter's per-route settings in typed_per_filter_config. */
  readonly name: string;
  /** The filter's config in the connection manager's chain (an Any with "@type"). */
  readonly typedConfig: EnvoyJson;
  /** What the filter does differently on the routes made from one VirtualService rule, if anything. */
  perRoute?(rule: HttpRule): EnvoyJson | undefined;
}

export function httpFilterJson(filter: HttpFilter): EnvoyJson {
  return { name: filter.name, typed_config: filter.typedConfig };
}
