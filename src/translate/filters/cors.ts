// VirtualService corsPolicy, as Istio's translateCORSPolicy maps it. Like fault, the filter is
// always in the chain with nothing to do, and a rule's policy switches it on for its routes.
import type { EnvoyJson } from '../types';
import { typed } from '../core';
import { parseDuration } from '../../model/duration';
import type { HttpRule, StringMatch } from '../routes/istio-types';
import type { HttpFilter } from './http-filter';

type CorsPolicy = NonNullable<HttpRule['corsPolicy']>;

function originMatcher(m: StringMatch): EnvoyJson[] {
  if (m.exact !== undefined) return [{ exact: m.exact }];
  if (m.prefix !== undefined) return [{ prefix: m.prefix }];
  if (m.regex !== undefined) return [{ safe_regex: { regex: m.regex } }];
  return [];
}

/** Envoy takes header and method lists as one comma-separated string. */
function joined(key: string, values: string[] | undefined): EnvoyJson {
  return values && values.length > 0 ? { [key]: values.join(',') } : {};
}

function policy(cors: CorsPolicy): EnvoyJson {
  const origins = [...(cors.allowOrigins ?? []).flatMap(originMatcher), ...(cors.allowOrigin ?? []).map((exact) => ({ exact }))];
  const maxAge = cors.maxAge !== undefined ? parseDuration(cors.maxAge) : undefined;
  return typed('envoy.extensions.filters.http.cors.v3.CorsPolicy', {
    ...(origins.length > 0 ? { allow_origin_string_match: origins } : {}),
    ...joined('allow_methods', cors.allowMethods),
    ...joined('allow_headers', cors.allowHeaders),
    ...joined('expose_headers', cors.exposeHeaders),
    ...(maxAge !== undefined ? { max_age: String(Math.floor(maxAge)) } : {}),
    ...(cors.allowCredentials !== undefined ? { allow_credentials: cors.allowCredentials } : {}),
    // Istio forwards preflights no policy matches to the app unless told to ignore them.
    forward_not_matching_preflights: cors.unmatchedPreflights !== 'IGNORE',
  });
}

export const corsFilter: HttpFilter = {
  name: 'envoy.filters.http.cors',
  typedConfig: typed('envoy.extensions.filters.http.cors.v3.Cors'),
  perRoute: (rule) => (rule.corsPolicy ? policy(rule.corsPolicy) : undefined),
};
