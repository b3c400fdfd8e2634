// The RBAC filters of one workload, as Istio's pilot/pkg/security/authz/builder/builder.go
// builds them: one filter per action, in the order Envoy must evaluate them (AUDIT, which only
// logs; then DENY; then ALLOW), each holding the rules of every policy of that action that
// selects the workload. A policy annotated `istio.io/dry-run: "true"` goes to the filter's
// shadow rules, which Envoy evaluates and reports in stats and dynamic metadata but never
// enforces.
import type { AuthorizationPolicy } from '../../model/types';
import type { EnvoyJson } from '../../translate/types';
import { typed } from '../../translate/core';
import { GenerateError } from './generators';
import { generatePolicy, migrateTrustDomain, ruleModel, type RbacAction } from './rule';
import type { TrustDomainBundle } from './trust-domain';

export const HTTP_RBAC_FILTER = 'envoy.filters.http.rbac';
export const NETWORK_RBAC_FILTER = 'envoy.filters.network.rbac';
/** authzmodel.RBACTCPFilterStatPrefix */
const TCP_STAT_PREFIX = 'tcp.';
const DRY_RUN_ANNOTATION = 'istio.io/dry-run';
/** For CUSTOM policies, which Mast cannot hand to an ext_authz provider (see customDenyConfigs). */
const EXT_AUTHZ_PREFIX = 'istio-ext-authz';
const BAD_CUSTOM_SUFFIX = '-deny-due-to-bad-CUSTOM-action';

/** The policies selecting one workload, by action, each list in Istio's order (root namespace first, then by creation). */
export interface PoliciesByAction {
  custom: readonly AuthorizationPolicy[];
  deny: readonly AuthorizationPolicy[];
  allow: readonly AuthorizationPolicy[];
  audit: readonly AuthorizationPolicy[];
}

/** envoy.config.rbac.v3.RBAC as JSON: ALLOW, Envoy's default action, is left out as protojson leaves it out. */
interface Rbac {
  action?: 'DENY' | 'LOG';
  policies: Record<string, EnvoyJson>;
}

interface BuiltRules {
  rules?: Rbac;
  shadowRules?: Rbac;
}

/** rbacPolicyMatchNever: a policy without rules matches nothing (an ALLOW policy without rules denies all). */
const MATCH_NEVER: EnvoyJson = {
  permissions: [{ not_rule: { any: true } }],
  principals: [{ not_id: { any: true } }],
};

/** isDryRun: the annotation as Go's strconv.ParseBool reads it; validation refuses other values. */
function isDryRun(policy: AuthorizationPolicy): boolean {
  return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(policy.meta.annotations[DRY_RUN_ANNOTATION] ?? '');
}

/** policyName: `ns[NS]-policy[NAME]-rule[N]`, the key Envoy reports a match under (stats, metadata, logs). */
function policyName(policy: AuthorizationPolicy, rule: number, prefix = ''): string {
  return `${prefix}ns[${policy.meta.namespace}]-policy[${policy.meta.name}]-rule[${rule}]`;
}

/**
 * Builder.build: the enforced and shadow RBAC of one action's policies for an HTTP or a TCP chain.
 * A rule that cannot be generated is left out (an invalid `when` key, or, for ALLOW, an attribute
 * the chain cannot see); a policy without rules adds a never-matching policy.
 */
function buildRules(policies: readonly AuthorizationPolicy[], action: RbacAction, forTCP: boolean, bundle: TrustDomainBundle, namePrefix = ''): BuiltRules | undefined {
  if (policies.length === 0) return undefined;
  const enforce: Rbac = { ...(action === 'ALLOW' ? {} : { action }), policies: {} };
  const shadow: Rbac = { ...(action === 'ALLOW' ? {} : { action }), policies: {} };
  let hasEnforce = false;
  let hasShadow = false;
  for (const policy of policies) {
    const dryRun = isDryRun(policy);
    const target = dryRun ? shadow : enforce;
    if (dryRun) hasShadow = true;
    else hasEnforce = true;
    const rules = policy.spec.rules ?? [];
    rules.forEach((rule, i) => {
      try {
        const model = ruleModel(policy.meta.namespace, rule);
        migrateTrustDomain(model, bundle);
        target.policies[policyName(policy, i, namePrefix)] = generatePolicy(model, forTCP, action);
      } catch (e) {
        if (!(e instanceof GenerateError)) throw e;
      }
    });
    if (rules.length === 0) target.policies[policyName(policy, 0, namePrefix)] = MATCH_NEVER;
  }
  return { ...(hasEnforce ? { rules: enforce } : {}), ...(hasShadow ? { shadowRules: shadow } : {}) };
}

/**
 * shadowRuleStatPrefix, as Istio calls it: on the shadow rules' action, where Go reads a missing
 * shadow RBAC as ALLOW (its zero value). So every filter but an AUDIT one with dry-run rules says
 * `istio_dry_run_allow_`, and Mast says the same, byte for byte.
 */
function shadowStatPrefix(built: BuiltRules): EnvoyJson {
  const action = built.shadowRules?.action;
  if (action === undefined) return { shadow_rules_stat_prefix: 'istio_dry_run_allow_' };
  if (action === 'DENY') return { shadow_rules_stat_prefix: 'istio_dry_run_deny_' };
  return {};
}

/** An RBAC as protojson writes it: an empty policy map is left out (`rules: {}` allows nothing). */
function rbacJson(rbac: Rbac): EnvoyJson {
  return { ...(rbac.action ? { action: rbac.action } : {}), ...(Object.keys(rbac.policies).length > 0 ? { policies: rbac.policies } : {}) };
}

/** The RBAC filter config of one action's rules (Builder.buildHTTP / buildTCP without CUSTOM). */
function rbacConfig(built: BuiltRules): EnvoyJson {
  return {
    ...(built.rules ? { rules: rbacJson(built.rules) } : {}),
    ...(built.shadowRules ? { shadow_rules: rbacJson(built.shadowRules) } : {}),
    ...shadowStatPrefix(built),
  };
}

/**
 * What Istio builds for CUSTOM policies whose provider it cannot use (getBadCustomDenyRules):
 * per provider, in name order, their enforced rules as DENY. Mast has no ext_authz providers, so
 * every CUSTOM policy is such a policy (reported MAST1008): what it would have sent to the
 * external authorizer is refused instead of let through.
 */
function customDenyConfigs(policies: readonly AuthorizationPolicy[], forTCP: boolean, bundle: TrustDomainBundle): EnvoyJson[] {
  const providerOf = (p: AuthorizationPolicy): string => p.spec.provider?.name ?? '';
  const providers = [...new Set(policies.map(providerOf))].sort();
  return providers.map((provider) => {
    const enforced = policies.filter((p) => providerOf(p) === provider && !isDryRun(p));
    const prefix = provider ? `${EXT_AUTHZ_PREFIX}-${provider}-` : `${EXT_AUTHZ_PREFIX}-`;
    const built = buildRules(enforced, 'DENY', forTCP, bundle, prefix);
    const denied = Object.entries(built?.rules?.policies ?? {}).map(([name, p]) => [name + BAD_CUSTOM_SUFFIX, p]);
    return { rules: rbacJson({ action: 'DENY', policies: Object.fromEntries(denied) }) };
  });
}

/** The RBAC configs of the policies' ALLOW, DENY and AUDIT actions, in filter order (Builder.build: AUDIT, DENY, ALLOW). */
function localConfigs(policies: PoliciesByAction, forTCP: boolean, bundle: TrustDomainBundle): EnvoyJson[] {
  return [buildRules(policies.audit, 'LOG', forTCP, bundle), buildRules(policies.deny, 'DENY', forTCP, bundle), buildRules(policies.allow, 'ALLOW', forTCP, bundle)]
    .filter((b): b is BuiltRules => b !== undefined)
    .map(rbacConfig);
}

function httpRbac(config: EnvoyJson): EnvoyJson {
  return typed('envoy.extensions.filters.http.rbac.v3.RBAC', config);
}

/**
 * The typed configs of the `envoy.filters.http.rbac` filters for the workload's CUSTOM policies
 * (empty without any). Istio puts them before JWT authentication.
 */
export function httpCustomRbacConfigs(policies: PoliciesByAction, bundle: TrustDomainBundle): EnvoyJson[] {
  return customDenyConfigs(policies.custom, false, bundle).map(httpRbac);
}

/**
 * BuildHTTP's configs for ALLOW, DENY and AUDIT, one `envoy.filters.http.rbac` filter each (none
 * when no such policy selects the workload). A request an enforced DENY rule matches, or that no
 * rule of an enforced ALLOW filter matches, is answered 403 `RBAC: access denied`.
 */
export function httpRbacConfigs(policies: PoliciesByAction, bundle: TrustDomainBundle): EnvoyJson[] {
  return localConfigs(policies, false, bundle).map(httpRbac);
}

/** Builder.BuildHTTP as Istio returns it: the HTTP filters, `{ name, typed_config }` each, CUSTOM ones first. */
export function httpRbacFilters(policies: PoliciesByAction, bundle: TrustDomainBundle): EnvoyJson[] {
  return [...httpCustomRbacConfigs(policies, bundle), ...httpRbacConfigs(policies, bundle)].map((config) => ({ name: HTTP_RBAC_FILTER, typed_config: config }));
}

/**
 * BuildTCP (the CUSTOM builder's, then the local one's): the `envoy.filters.network.rbac` filters
 * of a TCP filter chain, with only what a connection shows (peer identity, addresses, ports,
 * SNI); a refused connection is closed.
 */
export function networkRbacFilters(policies: PoliciesByAction, bundle: TrustDomainBundle): EnvoyJson[] {
  return [...customDenyConfigs(policies.custom, true, bundle), ...localConfigs(policies, true, bundle)].map((config) => ({
    name: NETWORK_RBAC_FILTER,
    typed_config: typed('envoy.extensions.filters.network.rbac.v3.RBAC', { ...config, stat_prefix: TCP_STAT_PREFIX }),
  }));
}
