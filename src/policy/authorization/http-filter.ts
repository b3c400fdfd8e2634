// The RBAC HTTP filters behind translate's one filter interface (src/translate/filters/chain.ts
// places them): the workload's CUSTOM policies (as deny rules, before JWT authentication, where
// Istio puts its ext_authz pair), and its AUDIT, DENY and ALLOW policies (after it, so that
// `requestPrincipals` and `request.auth.*` see the verified token).
import type { ComputedHttpFilter } from '../../translate/filters/http-filter';
import { workloadPolicies } from '../workload-policies';
import { HTTP_RBAC_FILTER, httpCustomRbacConfigs, httpRbacConfigs } from './builder';

export const customRbacFilter: ComputedHttpFilter = {
  name: HTTP_RBAC_FILTER,
  configs: (context) => {
    const { authorization, bundle } = workloadPolicies(context);
    return httpCustomRbacConfigs(authorization, bundle);
  },
};

export const rbacFilter: ComputedHttpFilter = {
  name: HTTP_RBAC_FILTER,
  configs: (context) => {
    const { authorization, bundle } = workloadPolicies(context);
    return httpRbacConfigs(authorization, bundle);
  },
};
