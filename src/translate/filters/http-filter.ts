// The one shape every HTTP filter has, so that adding one (CORS, RBAC, JWT, rate limit) means a
// new file and a row in chain.ts, not edits to the listener or route builders. Most filters have
// one config for every chain; a few (RBAC, jwt_authn) compute theirs from the mesh and the
// workload a chain serves, and are left out where nothing applies to it.
import type { Snapshot } from '../../model/types';
import type { EnvoyJson, ProxyRole } from '../types';
import type { HttpRule } from '../routes/istio-types';

/** What a computed filter reads: the mesh, and the workload whose traffic the chain carries. */
export interface FilterContext {
  readonly snapshot: Snapshot;
  /** A sidecar's own workload (its inbound side) or a gateway's. */
  readonly workload: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly role: ProxyRole;
}

interface FilterBase {
  /** Envoy's filter name; also the key of the filter's per-route settings in typed_per_filter_config. */
  readonly name: string;
  /** What the filter does differently on the routes made from one VirtualService rule, if anything. */
  perRoute?(rule: HttpRule): EnvoyJson | undefined;
}

/** A filter with one config in every chain (an Any with "@type"). */
export interface FixedHttpFilter extends FilterBase {
  readonly typedConfig: EnvoyJson;
}

/**
 * A filter whose configs depend on the workload and the mesh: one entry in the chain per config,
 * in order (Istio emits one RBAC filter per action), none when nothing applies. Called once per
 * chain with the same context; implementations cache what several chains share.
 */
export interface ComputedHttpFilter extends FilterBase {
  configs(context: FilterContext): readonly EnvoyJson[];
}

export type HttpFilter = FixedHttpFilter | ComputedHttpFilter;

/**
 * The `http_filters` entries of `filters`, `{ name, typed_config }` each. A computed filter needs
 * the chain's context; a chain without one (a sidecar's outbound side) must not list it, and
 * doing so is a bug in chain.ts, thrown as such.
 */
export function httpFilterEntries(filters: readonly HttpFilter[], context: FilterContext | undefined): EnvoyJson[] {
  return filters.flatMap((filter) => {
    if ('typedConfig' in filter) return [{ name: filter.name, typed_config: filter.typedConfig }];
    if (!context) throw new Error(`${filter.name} is computed per workload, and this chain has no FilterContext`);
    return filter.configs(context).map((config) => ({ name: filter.name, typed_config: config }));
  });
}
