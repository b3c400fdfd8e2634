// What a VirtualService rule does with a matched request: route it (to one destination or split
// by weight), redirect it, or answer it directly.
import type { VirtualService } from '../../model/types';
import type { EnvoyJson } from '../types';
import { protoDuration } from '../durations';
import type { RouteContext } from './context';
import { destinationCluster } from './destination';
import { destinationHashPolicy } from './hash-policy';
import { authorityOf, headerMutations } from './header-operations';
import type { HttpRouteDestination, HttpRule } from './istio-types';
import { mirrorPolicies } from './mirror';
import { retryPolicy } from './retry';

/**
 * Istio disables Envoy's default 15s route timeout: without a VirtualService `timeout` a request
 * may take as long as the app does.
 */
export const NO_TIMEOUT = '0s';

/**
 * The destinations Envoy may pick, weights as written. A lone destination needs no weight;
 * zero-weight ones are dropped, as Istio does, since Envoy would never pick them.
 */
function liveDestinations(routes: HttpRouteDestination[]): HttpRouteDestination[] {
  if (routes.length <= 1) return routes;
  const weighted = routes.filter((r) => (r.weight ?? 0) > 0);
  return weighted.length > 0 ? weighted : routes.slice(0, 1);
}

/**
 * One destination is `cluster`; several are `weighted_clusters`, each carrying its own headers
 * and its own host rewrite when its headers set the authority.
 */
function clusterSpecifier(live: HttpRouteDestination[], vs: VirtualService, ctx: RouteContext): EnvoyJson {
  const [first] = live;
  if (live.length === 1 && first) return { cluster: destinationCluster(first.destination, vs, ctx) };
  return {
    weighted_clusters: {
      clusters: live.map((r) => {
        const authority = authorityOf(r.headers);
        return {
          name: destinationCluster(r.destination, vs, ctx),
          weight: r.weight,
          ...headerMutations(r.headers),
          ...(authority !== undefined ? { host_rewrite_literal: authority } : {}),
        };
      }),
    },
  };
}

/**
 * The host a rule rewrites to, by Istio's precedence (applyHTTPRouteDestination): `rewrite.authority`,
 * else the authority the rule's headers set, else, for a lone destination, the one its headers set.
 */
function hostRewrite(rule: HttpRule, live: HttpRouteDestination[]): EnvoyJson {
  const host = rule.rewrite?.authority ?? authorityOf(rule.headers) ?? (live.length === 1 ? authorityOf(live[0]?.headers) : undefined);
  return host !== undefined ? { host_rewrite_literal: host } : {};
}

/** The header mutations of the Route itself: the rule's, then its destination's when it has just one. */
export function routeHeaderMutations(rule: HttpRule): EnvoyJson {
  const live = liveDestinations(rule.route ?? []);
  return headerMutations(rule.headers, live.length === 1 ? live[0]?.headers : undefined);
}

function rewrite(rule: HttpRule): EnvoyJson {
  const rw = rule.rewrite;
  if (!rw) return {};
  return {
    ...(rw.uri ? { prefix_rewrite: rw.uri } : {}), // an empty uri is unset, as in Istio
    ...(rw.uriRegexRewrite?.match !== undefined
      ? { regex_rewrite: { pattern: { regex: rw.uriRegexRewrite.match }, substitution: rw.uriRegexRewrite.rewrite ?? '' } }
      : {}),
  };
}

function routeAction(rule: HttpRule, vs: VirtualService, ctx: RouteContext): EnvoyJson {
  const mirrors = mirrorPolicies(rule, vs, ctx);
  const live = liveDestinations(rule.route ?? []);
  // Each destination's consistent-hash key, in order (Istio appends one per destination).
  const hashes = live.flatMap((r) => destinationHashPolicy(r.destination, vs, ctx) ?? []);
  const retry = retryPolicy(rule.retries, hashes.length > 0);
  return {
    ...clusterSpecifier(live, vs, ctx),
    ...(hashes.length > 0 ? { hash_policy: hashes } : {}),
    timeout: (rule.timeout && protoDuration(rule.timeout)) || NO_TIMEOUT,
    ...(retry ? { retry_policy: retry } : {}),
    ...rewrite(rule),
    ...hostRewrite(rule, live),
    ...(mirrors.length > 0 ? { request_mirror_policies: mirrors } : {}),
  };
}

const REDIRECT_CODES: Record<number, string> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

/**
 * Istio's ApplyRedirect: empty strings are unset (proto3), and a port that is the scheme's default
 * (80 for http, 443 for https) is left out of the Location, as browsers write it. A code Envoy has
 * no RedirectAction for (305, say; validation takes any 3xx) gives no action at all, as in Istio,
 * which drops the action with a warning (the model warns too, MAST2041): undefined.
 */
function redirect(r: NonNullable<HttpRule['redirect']>): EnvoyJson | undefined {
  const scheme = r.scheme || 'http';
  const defaultPort = (r.port === 80 && scheme === 'http') || (r.port === 443 && scheme === 'https');
  const code = REDIRECT_CODES[r.redirectCode || 301];
  if (!code) return undefined;
  return {
    ...(r.scheme ? { scheme_redirect: r.scheme } : {}),
    ...(r.authority ? { host_redirect: r.authority } : {}),
    ...(r.port && !defaultPort ? { port_redirect: r.port } : {}),
    ...(r.uri ? { path_redirect: r.uri } : {}),
    response_code: code,
  };
}

function directResponse(d: NonNullable<HttpRule['directResponse']>): EnvoyJson {
  const body = d.body?.string !== undefined ? { inline_string: d.body.string } : d.body?.bytes !== undefined ? { inline_bytes: d.body.bytes } : undefined;
  return { status: d.status, ...(body ? { body } : {}) };
}

/**
 * The action field of the Route for `rule`: `route`, `redirect` or `direct_response`, in Istio's
 * order of precedence; undefined for a rule with none (a delegate, which Mast does not support)
 * or with a redirect code Envoy cannot send.
 */
export function actionFields(rule: HttpRule, vs: VirtualService, ctx: RouteContext): EnvoyJson | undefined {
  if (rule.redirect) {
    const action = redirect(rule.redirect);
    return action && { redirect: action };
  }
  if (rule.directResponse) return { direct_response: directResponse(rule.directResponse) };
  if (rule.route && rule.route.length > 0) return { route: routeAction(rule, vs, ctx) };
  return undefined;
}
