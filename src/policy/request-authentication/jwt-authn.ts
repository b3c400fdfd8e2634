// RequestAuthentication -> Envoy's jwt_authn HTTP filter, as Istio's policy applier builds it
// (pilot/pkg/security/authn/policy_applier.go: convertToEnvoyJwtConfig). One provider per JWT
// rule (`origins-N`, rules sorted by issuer); a request must satisfy each provider or carry no
// token for it, so a missing token passes (AuthorizationPolicy `requestPrincipals` then decides)
// and a token that fails verification is answered 401. Verified claims go to the filter's dynamic
// metadata under `payload`, where the RBAC filter's `requestPrincipals` and `request.auth.*`
// matchers read them.
import type { RequestAuthentication, Snapshot } from '../../model/types';
import type { EnvoyJson } from '../../translate/types';
import { typed } from '../../translate/core';
import { protoDuration } from '../../translate/durations';
import { outboundClusterName } from '../../translate/names';
import { JWT_FILTER, JWT_PAYLOAD_KEY } from '../authorization/generators';

export type JwtRule = NonNullable<RequestAuthentication['spec']['jwtRules']>[number];

export { JWT_FILTER };

/** Istio's default for `timeout`: how long Envoy waits for the JWKS server. */
const DEFAULT_JWKS_TIMEOUT = '5s';
/** How long Envoy keeps a fetched JWKS (Istio: 5 minutes). */
const JWKS_CACHE_DURATION = '300s';

/** Where a `jwksUri` is fetched from: its host and port, and whether over TLS (security.ParseJwksURI). */
export interface JwksSource {
  host: string;
  port: number;
  tls: boolean;
}

/**
 * Where Envoy fetches `uri` from (an http or https URL; the default port by scheme), or undefined
 * for anything else, which validation reports (MAST2044) before translation sees it.
 */
export function jwksSource(uri: string): JwksSource | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const tls = url.protocol === 'https:';
  // WHATWG URL keeps IPv6 literals bracketed; Envoy's addresses do not.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: url.port ? Number(url.port) : tls ? 443 : 80, tls };
}

/**
 * The cluster Envoy fetches `source` through, Istio's `outbound|PORT||HOST` (model.LookupCluster
 * for a mesh service; the same name for the cluster Mast adds when the host is outside the mesh,
 * jwks-cluster.ts).
 */
export function jwksClusterName(source: JwksSource): string {
  return outboundClusterName(source.port, source.host);
}

/** buildSpaceDelimitedClaims: the rule's claims and Envoy's `scope` and `permission`, sorted once the rule names any. */
function spaceDelimitedClaims(claims: readonly string[] | undefined): string[] {
  if (claims === undefined) return ['permission', 'scope'];
  return [...new Set([...claims, 'permission', 'scope'])].sort();
}

/** The JWKS of one rule: inline, else fetched by Envoy from `jwksUri` through its cluster. */
function jwksSpecifier(rule: JwtRule): EnvoyJson {
  const source = rule.jwksUri ? jwksSource(rule.jwksUri) : undefined;
  if (rule.jwks || !source || !rule.jwksUri) return { local_jwks: { inline_string: rule.jwks ?? '' } };
  return {
    remote_jwks: {
      http_uri: { uri: rule.jwksUri, cluster: jwksClusterName(source), timeout: protoDuration(rule.timeout ?? DEFAULT_JWKS_TIMEOUT) ?? DEFAULT_JWKS_TIMEOUT },
      cache_duration: JWKS_CACHE_DURATION,
    },
  };
}

function provider(rule: JwtRule, clearRouteCache: boolean): EnvoyJson {
  return {
    ...(rule.issuer ? { issuer: rule.issuer } : {}),
    ...(rule.audiences?.length ? { audiences: rule.audiences } : {}),
    ...(rule.forwardOriginalToken ? { forward: true } : {}),
    ...(rule.outputPayloadToHeader ? { forward_payload_header: rule.outputPayloadToHeader } : {}),
    payload_in_metadata: JWT_PAYLOAD_KEY,
    normalize_payload_in_metadata: { space_delimited_claims: spaceDelimitedClaims(rule.spaceDelimitedClaims) },
    ...(clearRouteCache ? { clear_route_cache: true } : {}),
    ...(rule.outputClaimToHeaders?.length ? { claim_to_headers: rule.outputClaimToHeaders.map((c) => ({ header_name: c.header, claim_name: c.claim })) } : {}),
    ...(rule.fromHeaders?.length ? { from_headers: rule.fromHeaders.map((h) => ({ name: h.name, ...(h.prefix ? { value_prefix: h.prefix } : {}) })) } : {}),
    ...(rule.fromParams?.length ? { from_params: rule.fromParams } : {}),
    ...(rule.fromCookies?.length ? { from_cookies: rule.fromCookies } : {}),
    ...jwksSpecifier(rule),
  };
}

const byName = (name: string): EnvoyJson => ({ provider_name: name });

/**
 * The JwtAuthentication config for `rules` (undefined when there are none). With one provider the
 * requirement is "its token, or none"; with several it is any one provider's token (providers may
 * share a location) or, for every provider, its token or none.
 */
export function jwtAuthentication(rules: readonly JwtRule[], clearRouteCache: boolean): EnvoyJson | undefined {
  if (rules.length === 0) return undefined;
  const sorted = [...rules].sort((a, b) => ((a.issuer ?? '') < (b.issuer ?? '') ? -1 : (a.issuer ?? '') > (b.issuer ?? '') ? 1 : 0));
  const names = sorted.map((_, i) => `origins-${i}`);
  const inner = names.map((name) => ({ requires_any: { requirements: [byName(name), { allow_missing: {} }] } }));
  const requires = inner.length === 1 ? inner[0] : { requires_any: { requirements: [...names.map(byName), { requires_all: { requirements: inner } }] } };
  return typed('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', {
    providers: Object.fromEntries(sorted.map((rule, i) => [names[i], provider(rule, clearRouteCache)])),
    rules: [{ match: { prefix: '/' }, requires }],
    bypass_cors_preflight: true,
  });
}

/** The JWT rules of the RequestAuthentications selecting a workload, in Istio's order (its namespace's, then the root's). */
export function jwtRulesOf(policies: readonly RequestAuthentication[]): JwtRule[] {
  return policies.flatMap((p) => p.spec.jwtRules ?? []);
}

/** Hosts of `jwksUri`s that are mesh services: Envoy reaches them through the service's own cluster. */
export function isMeshHost(snapshot: Snapshot, source: JwksSource): boolean {
  const service = snapshot.serviceByHost(source.host);
  return service?.ports.some((p) => p.port === source.port) ?? false;
}
