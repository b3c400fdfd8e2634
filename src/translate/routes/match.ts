// VirtualService HTTPMatchRequest -> Envoy RouteMatch, as Istio's translateRouteMatch does it.
import type { EnvoyJson } from '../types';
import type { HttpMatch, StringMatch } from './istio-types';

/**
 * Whether a header or query condition means "present" (Istio's canBeConvertedToPresentMatch): an
 * empty StringMatch, or the regex `*`, which Istio reads as a wildcard rather than as RE2.
 */
function meansPresent(m: StringMatch): boolean {
  return stringMatcher(m) === undefined || m.regex === '*';
}

/** Envoy's StringMatcher for Istio's StringMatch (exact, prefix or RE2 regex). */
function stringMatcher(m: StringMatch): EnvoyJson | undefined {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { safe_regex: { regex: m.regex } };
  return undefined;
}

function pathSpecifier(uri: StringMatch | undefined): EnvoyJson {
  if (uri?.exact !== undefined) return { path: uri.exact };
  if (uri?.prefix !== undefined) return { prefix: uri.prefix };
  if (uri?.regex !== undefined) return { safe_regex: { regex: uri.regex } };
  return { prefix: '/' };
}

/**
 * A header condition, as Istio's TranslateRouteMatch writes it. A `withoutHeaders` condition is
 * inverted and, unless it is a presence test, treats a missing header as empty: a request
 * without the header matches `withoutHeaders: {h: {exact: v}}` (istio/istio#49537); Envoy alone
 * would fail a missing header whatever the inversion.
 */
function headerMatcher(name: string, m: StringMatch, invert: boolean): EnvoyJson {
  const present = meansPresent(m);
  return {
    // Envoy keeps header names lower-cased; Istio lower-cases the names users write.
    name: name.toLowerCase(),
    ...(present ? { present_match: true } : { string_match: stringMatcher(m) }),
    ...(invert ? { invert_match: true } : {}),
    ...(invert && !present ? { treat_missing_header_as_empty: true } : {}),
  };
}

function headerMatchers(match: HttpMatch): EnvoyJson[] {
  const pseudo: [string, StringMatch | undefined][] = [
    [':method', match.method],
    [':authority', match.authority],
    [':scheme', match.scheme],
  ];
  return [
    ...Object.entries(match.headers ?? {}).map(([name, m]) => headerMatcher(name, m, false)),
    ...Object.entries(match.withoutHeaders ?? {}).map(([name, m]) => headerMatcher(name, m, true)),
    ...pseudo.flatMap(([name, m]) => (m ? [headerMatcher(name, m, false)] : [])),
  ];
}

function queryMatchers(match: HttpMatch): EnvoyJson[] {
  return Object.entries(match.queryParams ?? {}).map(([name, m]) => ({
    name,
    ...(meansPresent(m) ? { present_match: true } : { string_match: stringMatcher(m) }),
  }));
}

/** The Envoy RouteMatch for one Istio match; no match at all is every request (`prefix: /`). */
export function routeMatch(match: HttpMatch | undefined): EnvoyJson {
  if (!match) return { prefix: '/' };
  const headers = headerMatchers(match);
  const query = queryMatchers(match);
  return {
    ...pathSpecifier(match.uri),
    ...(match.ignoreUriCase ? { case_sensitive: false } : {}),
    ...(headers.length > 0 ? { headers } : {}),
    ...(query.length > 0 ? { query_parameters: query } : {}),
  };
}
