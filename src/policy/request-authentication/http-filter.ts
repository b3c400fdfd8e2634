// The jwt_authn HTTP filter behind translate's one filter interface: in the chain of a workload
// some RequestAuthentication selects, between the CUSTOM and the other RBAC filters (chain.ts).
import type { ComputedHttpFilter } from '../../translate/filters/http-filter';
import { workloadPolicies } from '../workload-policies';
import { JWT_FILTER, jwtAuthentication, jwtRulesOf } from './jwt-authn';

export const jwtAuthnFilter: ComputedHttpFilter = {
  name: JWT_FILTER,
  configs: (context) => {
    // Gateways clear the route cache once a token is verified, so routes can match its claims.
    const config = jwtAuthentication(jwtRulesOf(workloadPolicies(context).requestAuthentications), context.role === 'router');
    return config ? [config] : [];
  },
};
