// One AuthorizationPolicy rule -> one RBAC Policy, as Istio's pilot/pkg/security/authz/model
// (model.go: New, MigrateTrustDomain, Generate) builds it. A rule's conditions are consolidated
// into permissions (one per `to`, what is asked) and principals (one per `from`, who asks); every
// `when` condition joins each of them, after the `to`/`from` fields.
import type { AuthorizationPolicySpec } from '../../model/types';
import type { EnvoyJson } from '../../translate/types';
import * as g from './generators';
import { GenerateError, type Generator } from './generators';
import { expandTrustDomainAliases, replaceTrustDomainAliases, type TrustDomainBundle } from './trust-domain';

type SchemaRule = NonNullable<AuthorizationPolicySpec['rules']>[number];
type SchemaSource = NonNullable<NonNullable<SchemaRule['from']>[number]['source']>;

/** A rule, with the source's `trustDomains` of Istio's API at the pinned revision (newer than the schema package). */
export type AuthorizationRule = Omit<SchemaRule, 'from'> & {
  from?: { source?: SchemaSource & { trustDomains?: string[]; notTrustDomains?: string[] } }[];
};

/** Envoy's RBAC actions: AUDIT is LOG. CUSTOM is built as DENY (see builder.ts). */
export type RbacAction = 'ALLOW' | 'DENY' | 'LOG';

/** One attribute test: the values it allows and those it refuses. */
interface Condition {
  key: string;
  values: string[];
  notValues: string[];
  generator: Generator;
}

/** Conditions ANDed into one Permission or Principal. Condition objects may be shared between lists, as in Istio. */
type ConditionList = Condition[];

export interface RuleModel {
  permissions: ConditionList[];
  principals: ConditionList[];
}

const SRC_PRINCIPAL = 'source.principal';
const SRC_TRUST_DOMAIN = 'source.trustDomain';

function condition(generator: Generator, key: string, values: string[] | undefined, notValues: string[] | undefined): Condition[] {
  return values?.length || notValues?.length ? [{ key, values: values ?? [], notValues: notValues ?? [], generator }] : [];
}

/** Which list and generator a `when` key belongs to; GenerateError for a key Istio does not know. */
function whenGenerator(key: string, policyNamespace: string): { side: 'permission' | 'principal'; generator: Generator } {
  const exact: Record<string, { side: 'permission' | 'principal'; generator: Generator }> = {
    'destination.ip': { side: 'permission', generator: g.destIP },
    'destination.port': { side: 'permission', generator: g.destPort },
    'connection.sni': { side: 'permission', generator: g.connSNI },
    'source.ip': { side: 'principal', generator: g.srcIP },
    'remote.ip': { side: 'principal', generator: g.remoteIP },
    'source.namespace': { side: 'principal', generator: g.srcNamespace },
    [SRC_TRUST_DOMAIN]: { side: 'principal', generator: g.srcTrustDomain },
    'source.serviceAccount': { side: 'principal', generator: g.srcServiceAccount(policyNamespace) },
    [SRC_PRINCIPAL]: { side: 'principal', generator: g.srcPrincipal },
    'request.auth.principal': { side: 'principal', generator: g.requestPrincipals },
    'request.auth.audiences': { side: 'principal', generator: g.requestAudiences },
    'request.auth.presenter': { side: 'principal', generator: g.requestPresenter },
  };
  const known = Object.hasOwn(exact, key) ? exact[key] : undefined;
  if (known) return known;
  if (key.startsWith('experimental.envoy.filters.')) return { side: 'permission', generator: g.envoyFilterMetadata };
  if (key.startsWith('request.headers')) return { side: 'principal', generator: g.requestHeader };
  if (key.startsWith('request.auth.claims')) return { side: 'principal', generator: g.requestClaims };
  throw new GenerateError(`unknown attribute ${key}`);
}

/**
 * model.New: the rule's conditions, `from`/`to` fields first (in Istio's order: principals,
 * request principals, service accounts, trust domains, namespaces, remote IPs, IPs; hosts,
 * methods, paths, ports), then the `when` conditions in the order written. No `from` means one
 * principal of the `when` conditions alone; likewise for `to`. Throws GenerateError for an
 * unknown `when` key.
 */
export function ruleModel(policyNamespace: string, rule: AuthorizationRule): RuleModel {
  const basePermission: ConditionList = [];
  const basePrincipal: ConditionList = [];
  for (const when of rule.when ?? []) {
    const { side, generator } = whenGenerator(when.key, policyNamespace);
    (side === 'permission' ? basePermission : basePrincipal).push(...condition(generator, when.key, when.values, when.notValues));
  }
  const principals = (rule.from ?? []).map(({ source: s }) => [
    ...(s
      ? [
          ...condition(g.srcPrincipal, SRC_PRINCIPAL, s.principals, s.notPrincipals),
          ...condition(g.requestPrincipals, 'request.auth.principal', s.requestPrincipals, s.notRequestPrincipals),
          ...condition(g.srcServiceAccount(policyNamespace), 'source.serviceAccount', s.serviceAccounts, s.notServiceAccounts),
          ...condition(g.srcTrustDomain, SRC_TRUST_DOMAIN, s.trustDomains, s.notTrustDomains),
          ...condition(g.srcNamespace, 'source.namespace', s.namespaces, s.notNamespaces),
          ...condition(g.remoteIP, 'remote.ip', s.remoteIpBlocks, s.notRemoteIpBlocks),
          ...condition(g.srcIP, 'source.ip', s.ipBlocks, s.notIpBlocks),
        ]
      : []),
    ...basePrincipal,
  ]);
  const permissions = (rule.to ?? []).map(({ operation: o }) => [
    ...(o
      ? [
          ...condition(g.host, ':authority', o.hosts, o.notHosts),
          ...condition(g.method, ':method', o.methods, o.notMethods),
          ...condition(g.path, 'path-matcher', o.paths, o.notPaths),
          ...condition(g.destPort, 'destination.port', o.ports, o.notPorts),
        ]
      : []),
    ...basePermission,
  ]);
  return {
    permissions: permissions.length > 0 ? permissions : [basePermission],
    principals: principals.length > 0 ? principals : [basePrincipal],
  };
}

/**
 * MigrateTrustDomain: principals written for the local trust domain (or `cluster.local`) also
 * match its aliases; trust domain values expand to every alias. Like Istio, it rewrites the
 * condition objects in place, so a `when` principal shared by several `from` entries is rewritten
 * once per entry (Istio's output, duplicates and all, is what the conformance test holds Mast to).
 */
export function migrateTrustDomain(model: RuleModel, bundle: TrustDomainBundle): void {
  for (const list of model.principals) {
    for (const c of list) {
      if (c.key === SRC_PRINCIPAL) {
        if (c.values.length) c.values = replaceTrustDomainAliases(bundle, c.values);
        if (c.notValues.length) c.notValues = replaceTrustDomainAliases(bundle, c.notValues);
      } else if (c.key === SRC_TRUST_DOMAIN) {
        if (c.values.length) c.values = expandTrustDomainAliases(bundle, c.values);
        if (c.notValues.length) c.notValues = expandTrustDomainAliases(bundle, c.notValues);
      }
    }
  }
}

/**
 * checkError: what a value the chain cannot express costs. For ALLOW it fails the whole rule (the
 * policy allows less); for DENY and LOG only that value is dropped (the policy denies or audits
 * more). Either way the result errs towards refusing.
 */
function attempt(action: RbacAction, make: () => EnvoyJson | undefined): EnvoyJson | undefined {
  try {
    return make();
  } catch (e) {
    if (action === 'ALLOW' || !(e instanceof GenerateError)) throw e;
    return undefined;
  }
}

type Side = 'permission' | 'principal';

const SHAPES = {
  permission: { and: (rules: EnvoyJson[]) => ({ and_rules: { rules } }), or: (rules: EnvoyJson[]) => ({ or_rules: { rules } }), not: (rule: EnvoyJson) => ({ not_rule: rule }), any: { any: true } },
  principal: { and: (ids: EnvoyJson[]) => ({ and_ids: { ids } }), or: (ids: EnvoyJson[]) => ({ or_ids: { ids } }), not: (id: EnvoyJson) => ({ not_id: id }), any: { any: true } },
} as const;

/** rule.permission / rule.principal: the values ORed, the not-values ORed and negated. */
function conditionJson(side: Side, c: Condition, forTCP: boolean, action: RbacAction): EnvoyJson[] {
  const shape = SHAPES[side];
  const out: EnvoyJson[] = [];
  const gen = c.generator;
  for (const [values, negate] of [[c.values, false], [c.notValues, true]] as const) {
    if (values.length === 0) continue;
    let made: EnvoyJson | undefined;
    if (gen.kind === 'list') {
      made = attempt(action, () => gen[side]?.(c.key, values, forTCP));
    } else {
      const or = values.flatMap((v): EnvoyJson[] => {
        const one = attempt(action, () => gen[side]?.(c.key, v, forTCP));
        return one ? [one] : [];
      });
      made = or.length > 0 ? shape.or(or) : undefined;
    }
    if (made) out.push(negate ? shape.not(made) : made);
  }
  return out;
}

function listJson(side: Side, list: ConditionList, forTCP: boolean, action: RbacAction): EnvoyJson {
  const and = list.flatMap((c) => conditionJson(side, c, forTCP, action));
  return SHAPES[side].and(and.length > 0 ? and : [SHAPES[side].any]);
}

/**
 * Model.Generate: the RBAC Policy `{ permissions, principals }` of a rule for an HTTP or a TCP
 * chain. Throws GenerateError when an ALLOW rule tests what the chain cannot see (an HTTP
 * attribute on TCP): Istio then leaves the whole rule out.
 */
export function generatePolicy(model: RuleModel, forTCP: boolean, action: RbacAction): EnvoyJson {
  return {
    permissions: model.permissions.map((list) => listJson('permission', list, forTCP, action)),
    principals: model.principals.map((list) => listJson('principal', list, forTCP, action)),
  };
}
