// VirtualService delegation: a root VirtualService (one with hosts) hands the requests an http
// rule matches to a delegate VirtualService (one without hosts) with `delegate: {name, namespace}`.
// The delegate's rules replace the delegating rule, each one's matches narrowed by the root's and
// its unset fields taken from the root's, as Istio merges them before translation
// (pilot/pkg/model/virtualservice_controller.go mergeVirtualServices, virtualservice.go
// MergeHTTPRoutes, mergeHTTPRoute, mergeHTTPMatchRequests, hasConflict). Translation and
// validation both read this one implementation.
import { isExportedTo } from './export-to';
import { resolveHost } from './hosts';
import type { ObjectRef, VirtualService, VirtualServiceSpec } from './types';

type HttpRule = NonNullable<VirtualServiceSpec['http']>[number];
type HttpMatch = NonNullable<HttpRule['match']>[number];
type StringMatch = NonNullable<HttpMatch['uri']>;

/** Istio's annotation that gives a VirtualService Gateway API semantics: such roots are not merged. */
const ROUTE_SEMANTICS = 'internal.istio.io/route-semantics';

/** Why a delegating rule contributes nothing, or which delegate rules were dropped. */
export type DelegationProblem =
  | { kind: 'unresolved'; rule: number; delegate: ObjectRef; reason: string }
  | { kind: 'conflict'; rule: number; delegate: VirtualService; delegateRule: number };

export interface MergedVirtualService {
  /** The root with its delegating rules replaced; the root itself when it delegates nothing. */
  vs: VirtualService;
  /** The delegates it read, in rule order: what the merge depends on. */
  delegates: VirtualService[];
  problems: DelegationProblem[];
}

/** Whether a VirtualService is a delegate: Istio reads one without hosts as such. */
export function isDelegate(vs: VirtualService): boolean {
  return (vs.spec.hosts ?? []).length === 0;
}


/**
 * The delegate `rule` names, as Istio looks it up: in the root's namespace unless the rule names
 * one; it must have no hosts and be exported to the root's namespace.
 */
function delegateOf(root: VirtualService, rule: HttpRule, lookup: (ref: ObjectRef) => VirtualService | undefined, exportTo: readonly string[]): VirtualService | string {
  const ref = { kind: 'VirtualService' as const, namespace: rule.delegate?.namespace || root.meta.namespace, name: rule.delegate?.name ?? '' };
  const found = lookup(ref);
  if (!found) return 'does not exist';
  if (!isDelegate(found)) return 'has hosts, so it is a root VirtualService, not a delegate';
  if (!isExportedTo(found.spec.exportTo, found.meta.namespace, root.meta.namespace, exportTo)) return `is not exported to namespace ${root.meta.namespace}`;
  return found;
}

/**
 * Short host names and bare gateway names in a delegate's rule, resolved in the delegate's own
 * namespace (Istio's ResolveVirtualServiceShortnames), since the merged rule is read in the root's.
 */
function resolvedRule(rule: HttpRule, namespace: string, domain: string): HttpRule {
  const host = (h: string): string => resolveHost(h, namespace, domain);
  const gateway = (g: string): string => (g === 'mesh' || g.includes('/') ? g : `${namespace}/${g}`);
  return {
    ...rule,
    ...(rule.match ? { match: rule.match.map((m) => (m?.gateways ? { ...m, gateways: m.gateways.map(gateway) } : m)) } : {}),
    ...(rule.route ? { route: rule.route.map((r) => (r?.destination ? { ...r, destination: { ...r.destination, host: host(r.destination.host) } } : r)) } : {}),
    ...(rule.mirror ? { mirror: { ...rule.mirror, host: host(rule.mirror.host) } } : {}),
    ...(rule.mirrors ? { mirrors: rule.mirrors.map((m) => (m?.destination ? { ...m, destination: { ...m.destination, host: host(m.destination.host) } } : m)) } : {}),
  };
}

/** Istio's stringMatchConflict: whether no string can match both (unset matches anything). */
function stringMatchConflict(root: StringMatch | undefined | null, leaf: StringMatch | undefined | null): boolean {
  if (!root || !leaf) return false;
  if (root.regex && (leaf.regex || leaf.prefix || leaf.exact)) return true;
  if (leaf.regex && (root.regex || root.prefix || root.exact)) return true;
  if (root.exact) return Boolean(leaf.prefix) || leaf.exact !== root.exact;
  if (root.prefix) {
    if (leaf.prefix) return !leaf.prefix.startsWith(root.prefix);
    if (leaf.exact) return !leaf.exact.startsWith(root.prefix);
  }
  return true;
}

type StringMaps = 'headers' | 'withoutHeaders' | 'queryParams';

/** Istio's hasConflict: the delegate's match asks for something the root's excludes. */
function hasConflict(root: HttpMatch, leaf: HttpMatch): boolean {
  for (const key of ['uri', 'scheme', 'method', 'authority'] as const) if (stringMatchConflict(root[key], leaf[key])) return true;
  for (const map of ['headers', 'withoutHeaders', 'queryParams'] as const satisfies StringMaps[]) {
    for (const [name, value] of Object.entries(leaf[map] ?? {})) if (stringMatchConflict(root[map]?.[name], value)) return true;
  }
  if (Boolean(root.ignoreUriCase) !== Boolean(leaf.ignoreUriCase)) return true;
  if (root.port && leaf.port && root.port !== leaf.port) return true;
  if (root.sourceNamespace && leaf.sourceNamespace !== root.sourceNamespace) return true;
  for (const [key, value] of Object.entries(leaf.sourceLabels ?? {})) if (key in (root.sourceLabels ?? {}) && root.sourceLabels?.[key] !== value) return true;
  const rootGateways = root.gateways ?? [];
  const leafGateways = leaf.gateways ?? [];
  if (rootGateways.length > 0 && leafGateways.length > 0) return leafGateways.length > rootGateways.length || leafGateways.some((g) => !rootGateways.includes(g));
  return false;
}

/** Istio's mergeHTTPMatchRequest: the delegate's match, its unset fields the root's. */
function mergeMatch(root: HttpMatch, leaf: HttpMatch): HttpMatch {
  const merged: HttpMatch = { ...leaf };
  const name = leaf.name && root.name ? `${root.name}-${leaf.name}` : leaf.name || root.name;
  if (name) merged.name = name;
  for (const key of ['uri', 'scheme', 'method', 'authority', 'port', 'sourceNamespace', 'statPrefix'] as const) {
    if (!leaf[key] && root[key]) Object.assign(merged, { [key]: root[key] });
  }
  for (const map of ['headers', 'withoutHeaders', 'queryParams', 'sourceLabels'] as const) {
    if (root[map] || leaf[map]) Object.assign(merged, { [map]: { ...root[map], ...leaf[map] } });
  }
  if (!leaf.gateways?.length && root.gateways?.length) merged.gateways = root.gateways;
  return merged;
}

/** Istio's mergeHTTPMatchRequests: each delegate match narrowed by every root match it fits; undefined on conflict. */
function mergeMatches(root: HttpMatch[], leaf: HttpMatch[]): HttpMatch[] | undefined {
  if (root.length === 0) return leaf;
  if (leaf.length === 0) return root;
  const out: HttpMatch[] = [];
  for (const sub of leaf) {
    const fits = root.filter((r) => !hasConflict(r, sub));
    if (fits.length === 0) return undefined;
    out.push(...fits.map((r) => mergeMatch(r, sub)));
  }
  return out;
}

/** Fields a delegate rule takes from the root rule when it leaves them unset (Istio's mergeHTTPRoute). */
const INHERITED = ['rewrite', 'directResponse', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercent', 'mirrorPercentage', 'corsPolicy', 'mirrors', 'headers'] as const;

/** Istio's mergeHTTPRoute; undefined when the delegate's matches conflict with the root's. */
function mergeRule(root: HttpRule, leaf: HttpRule): HttpRule | undefined {
  const match = mergeMatches((root.match ?? []).filter((m): m is HttpMatch => Boolean(m)), (leaf.match ?? []).filter((m): m is HttpMatch => Boolean(m)));
  if (!match) return undefined;
  const merged: HttpRule = { ...leaf, ...(match.length ? { match } : {}) };
  const name = leaf.name && root.name ? `${root.name}-${leaf.name}` : leaf.name || root.name;
  if (name) merged.name = name;
  for (const key of INHERITED) if (leaf[key] == null && root[key] != null) Object.assign(merged, { [key]: root[key] });
  return merged;
}

/**
 * `root` with each delegating http rule replaced by its delegate's rules, merged. A rule whose
 * delegate is missing, has hosts or is not exported to the root's namespace contributes nothing;
 * a delegate rule whose matches conflict with the root rule's is dropped (both as Istio, which
 * only logs them; Mast returns them as problems for validation to report).
 *
 * @param lookup finds a VirtualService by namespace and name.
 * @param domain the cluster domain, to resolve the delegate's short host names in its namespace.
 * @param exportTo the exportTo of a delegate that sets none: MeshConfig defaultVirtualServiceExportTo.
 */
export function mergeDelegates(root: VirtualService, lookup: (ref: ObjectRef) => VirtualService | undefined, domain: string, exportTo: readonly string[] = ['*']): MergedVirtualService {
  const rules = root.spec.http ?? [];
  if (isDelegate(root) || !rules.some((r) => r?.delegate) || root.meta.annotations[ROUTE_SEMANTICS] === 'gateway') return { vs: root, delegates: [], problems: [] };
  const delegates: VirtualService[] = [];
  const problems: DelegationProblem[] = [];
  const http = rules.flatMap((rule, i): HttpRule[] => {
    if (!rule?.delegate) return rule ? [rule] : [];
    const delegate = delegateOf(root, rule, lookup, exportTo);
    if (typeof delegate === 'string') {
      const ref = { kind: 'VirtualService' as const, namespace: rule.delegate.namespace || root.meta.namespace, name: rule.delegate.name ?? '' };
      problems.push({ kind: 'unresolved', rule: i, delegate: ref, reason: delegate });
      return [];
    }
    delegates.push(delegate);
    const { delegate: _handedOver, ...base } = rule;
    return (delegate.spec.http ?? []).flatMap((leaf, j) => {
      if (!leaf) return [];
      const merged = mergeRule(base, resolvedRule(leaf, delegate.meta.namespace, domain));
      if (!merged) problems.push({ kind: 'conflict', rule: i, delegate, delegateRule: j });
      return merged ? [merged] : [];
    });
  });
  return { vs: { ...root, spec: { ...root.spec, http } }, delegates, problems };
}
