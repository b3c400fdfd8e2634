// The security policies that apply to one workload, worked out once per chain context: every
// port's chain of a sidecar (and every server port of a gateway) shares them.
import { refOf, type AuthorizationPolicy, type ObjectRef, type RequestAuthentication } from '../model/types';
import type { FilterContext } from '../translate/filters/http-filter';
import { authorizationPoliciesFor, trustDomainBundle, type PoliciesByAction, type TrustDomainBundle } from './authorization';
import { policiesFor } from '../model/workload-selection';

export interface WorkloadPolicies {
  /** AuthorizationPolicies selecting the workload, by action (root namespace's first). */
  authorization: PoliciesByAction;
  /** The mesh's trust domain (Mast has no aliases yet). */
  bundle: TrustDomainBundle;
  /** RequestAuthentications selecting the workload (its namespace's first, then the root's). */
  requestAuthentications: readonly RequestAuthentication[];
}

const cache = new WeakMap<FilterContext, WorkloadPolicies>();

/**
 * The AuthorizationPolicies and RequestAuthentications selecting `context`'s workload (its
 * namespace's with a matching selector or targetRef, and the root namespace's), with the trust
 * domain bundle principals are written against; worked out once per context (a WeakMap).
 */
export function workloadPolicies(context: FilterContext): WorkloadPolicies {
  let found = cache.get(context);
  if (!found) {
    const { snapshot, workload } = context;
    const authz: readonly AuthorizationPolicy[] = snapshot.authorizationPolicies();
    found = {
      authorization: authorizationPoliciesFor(authz, workload, snapshot.rootNamespace),
      bundle: trustDomainBundle(snapshot.trustDomain),
      requestAuthentications: policiesFor(snapshot.requestAuthentications(), workload, [workload.namespace, snapshot.rootNamespace]),
    };
    cache.set(context, found);
  }
  return found;
}

/**
 * The policies the workload's security filters are made from, for provenance: a listener whose
 * RBAC or jwt_authn config Envoy would refuse is traced to them (src/translate/provenance.ts).
 */
export function policySources(context: FilterContext): ObjectRef[] {
  const { authorization: a, requestAuthentications } = workloadPolicies(context);
  return [...a.custom, ...a.audit, ...a.deny, ...a.allow, ...requestAuthentications].map(refOf);
}
