// AuthorizationPolicy -> Envoy RBAC filters for one workload (a sidecar's inbound side or a
// gateway), as Istio's pilot/pkg/networking/plugin/authz and security/authz/builder do it.
import type { AuthorizationPolicy } from '../../model/types';
import { policiesFor, type Workload } from '../../model/workload-selection';
import type { PoliciesByAction } from './builder';

export { httpCustomRbacConfigs, httpRbacConfigs, httpRbacFilters, networkRbacFilters, type PoliciesByAction } from './builder';
export { trustDomainBundle, type TrustDomainBundle } from './trust-domain';

/**
 * ListAuthorizationPolicies: the policies of `all` that select the workload (root namespace
 * first, then its own; each in the order given), split by action (absent means ALLOW).
 */
export function authorizationPoliciesFor(all: readonly AuthorizationPolicy[], workload: Workload, rootNamespace: string): PoliciesByAction {
  const selected = policiesFor(all, workload, [rootNamespace, workload.namespace]);
  const of = (action: string): AuthorizationPolicy[] => selected.filter((p) => (p.spec.action ?? 'ALLOW') === action);
  return { custom: of('CUSTOM'), deny: of('DENY'), allow: of('ALLOW'), audit: of('AUDIT') };
}
