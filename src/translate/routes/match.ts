// VirtualService HTTPMatchRequest -> Envoy RouteMatch, as Istio's translateRouteMatch does it.
import type { EnvoyJson } from '../types';
import type { HttpMatch, StringMatch } from './istio-types';

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

/** A header condition; a StringMatch with nothing in it means "the header is present", as in Istio. */
function headerMatcher(name: string, m: StringMatch, invert: boolean): EnvoyJson {
  const matcher = stringMatcher(m);
  return {
    // Envoy keeps header names lower-cased; Istio lower-cases the names users write.
    name: name.toLowerCase(),
    ...(matcher ? { string_match: matcher } : { present_match: true }),
    ...(invert ? { invert_match: true } : {}),
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
  return Object.entries(match.queryParams ?? {}).map(([name, m]) => {
    const matcher = stringMatcher(m);
    return { name, ...(matcher ? { string_match: matcher } : { present_match: true }) };
  });
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
