// RequestAuthentication -> Envoy's jwt_authn filter (http-filter.ts, placed by
// src/translate/filters/chain.ts) and the clusters its remote JWKS are fetched through.
import type { FilterContext } from '../../translate/filters/http-filter';
import type { NamedResource } from '../../translate/types';
import { workloadPolicies } from '../workload-policies';
import { jwksClusters } from './jwks-clusters';

/** The clusters the workload's jwt_authn filter fetches remote JWKS through (none for inline keys or mesh hosts). */
export function requestAuthenticationClusters(context: FilterContext): NamedResource[] {
  return jwksClusters(context.snapshot, workloadPolicies(context).requestAuthentications);
}
