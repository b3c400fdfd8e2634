// One VirtualService HTTP rule -> Envoy Routes, shared by sidecars and gateways. Each entry of
// `match` becomes its own Route (Istio's OR), in order, so Envoy's first-match-wins keeps the
// rule order the user wrote.
import { refOf, type MeshService, type VirtualService } from '../../model/types';
import type { EnvoyJson } from '../types';
import { labelsMatch } from '../../model/labels';
import { provenance } from '../provenance';
import { actionFields, NO_TIMEOUT, routeHeaderMutations } from './action';
import type { RouteContext } from './context';
import type { HttpMatch, HttpRule } from './istio-types';
import { routeMatch } from './match';
import { retryPolicy } from './retry';
import { gatewayKey } from './virtual-services';

/** Whether a match entry applies to routes built for `ctx` (its port, gateway and source proxy). */
function matchApplies(match: HttpMatch, vs: VirtualService, ctx: RouteContext): boolean {
  // Port 0 is proto3's unset: any port, as Istio reads it.
  if (match.port && match.port !== ctx.port) return false;
  const gateways = match.gateways ?? [];
  if (gateways.length > 0 && !gateways.some((g) => ctx.gateways.has(gatewayKey(g, vs.meta.namespace)))) return false;
  if (match.sourceNamespace !== undefined && match.sourceNamespace !== ctx.sourceNamespace) return false;
  return labelsMatch(match.sourceLabels, ctx.sourceLabels);
}

/** Istio names a route after its rule, and after the rule and the match when the match has a name. */
function routeName(rule: HttpRule, match: HttpMatch | undefined): string | undefined {
  if (match?.name) return rule.name ? `${rule.name}.${match.name}` : match.name;
  return rule.name;
}

function perFilterConfig(rule: HttpRule, ctx: RouteContext): EnvoyJson {
  const entries = ctx.filters.flatMap((f) => {
    const config = f.perRoute?.(rule);
    return config ? [[f.name, config] as const] : [];
  });
  return entries.length > 0 ? { typed_per_filter_config: Object.fromEntries(entries) } : {};
}

/**
 * The Routes for the rule at `spec.http[index]`; none when no match entry applies here or the rule
 * has no action. Each names its VirtualService and the field it came from (`spec.http[2].match[0]`),
 * so a field Envoy would refuse is reported where the user wrote it.
 */
function ruleRoutes(vs: VirtualService, rule: HttpRule, index: number, ctx: RouteContext): EnvoyJson[] {
  const action = actionFields(rule, vs, ctx);
  if (!action) return [];
  const declared = rule.match ?? [];
  const matches: [HttpMatch | undefined, string][] = declared.length === 0
    ? [[undefined, `spec.http[${index}]`]]
    : declared.flatMap((m, j) => (matchApplies(m, vs, ctx) ? [[m, `spec.http[${index}].match[${j}]`] as [HttpMatch, string]] : []));
  return matches.map(([match, field]) => {
    const name = routeName(rule, match);
    return {
      ...(name ? { name } : {}),
      match: routeMatch(match),
      // Envoy then keeps the route's own stats, under vhost.VHOST.route.PREFIX (Istio's translateRoute).
      ...(match?.statPrefix ? { stat_prefix: match.statPrefix } : {}),
      ...action,
      metadata: provenance([refOf(vs)], field),
      ...routeHeaderMutations(rule),
      ...perFilterConfig(rule, ctx),
    };
  });
}

/** The Routes of a VirtualService for `ctx`, rule by rule in order. */
export function virtualServiceRoutes(vs: VirtualService, ctx: RouteContext): EnvoyJson[] {
  return (vs.spec.http ?? []).flatMap((rule, i) => ruleRoutes(vs, rule, i, ctx));
}

/**
 * A service's route when no VirtualService names it: everything to its cluster, Istio's defaults,
 * with the consistent-hash key of its DestinationRule when it has one (`hash`).
 */
export function defaultRoute(service: MeshService, cluster: string, hash?: EnvoyJson): EnvoyJson {
  return {
    name: 'default',
    match: { prefix: '/' },
    route: { cluster, timeout: NO_TIMEOUT, retry_policy: retryPolicy(undefined, hash !== undefined), ...(hash ? { hash_policy: [hash] } : {}) },
    metadata: provenance([refOf(service)]),
  };
}
