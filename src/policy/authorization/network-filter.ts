// The network RBAC filters of a sidecar's inbound TCP filter chains (ports whose protocol is not
// HTTP, and the passthrough for ports no Service declares), placed before tcp_proxy as Istio's
// buildCompleteNetworkFilters places them.
import type { FilterContext } from '../../translate/filters/http-filter';
import type { EnvoyJson } from '../../translate/types';
import { workloadPolicies } from '../workload-policies';
import { networkRbacFilters } from './builder';

/**
 * `envoy.filters.network.rbac` filters (`{ name, typed_config }`) of the workload's policies for
 * TCP: a rule testing what only HTTP shows is left out of an ALLOW policy (so the connection is
 * refused) and matches without it in DENY and AUDIT ones, as Istio builds it.
 */
export function networkRbac(context: FilterContext): EnvoyJson[] {
  const { authorization, bundle } = workloadPolicies(context);
  return networkRbacFilters(authorization, bundle);
}
