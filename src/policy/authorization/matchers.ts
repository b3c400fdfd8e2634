// Envoy matchers as Istio's authorization builder writes them (pilot/pkg/security/authz/matcher:
// string.go, header.go, metadata.go, template.go; networking/util AddrStrToCidrRange), in
// Mast's proto3 JSON. Defaults are left out (`ignore_case: false`), as protojson leaves them out
// of Istio's own output, so the conformance test compares like with like.
import { isIP } from 'node:net';
import type { EnvoyJson } from '../../translate/types';
import { typed } from '../../translate/core';

/** Go's regexp.QuoteMeta: every RE2 metacharacter escaped. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

export function regexMatcher(regex: string): EnvoyJson {
  return { safe_regex: { regex } };
}

export function exactMatcher(exact: string, ignoreCase = false): EnvoyJson {
  return { exact, ...(ignoreCase ? { ignore_case: true } : {}) };
}

export function prefixMatcher(prefix: string, ignoreCase = false): EnvoyJson {
  return { prefix, ...(ignoreCase ? { ignore_case: true } : {}) };
}

export function suffixMatcher(suffix: string, ignoreCase = false): EnvoyJson {
  return { suffix, ...(ignoreCase ? { ignore_case: true } : {}) };
}

/**
 * StringMatcherWithPrefix: Istio's wildcard rules for one value. `*` alone is "any non-empty"
 * (`.+`, the prefix dropped), `*x` a suffix (a regex when `prefix` must still lead), `x*` a
 * prefix, anything else exact; `prefix` (`spiffe://` for principals) goes in front.
 */
export function stringMatcher(value: string, prefix = ''): EnvoyJson {
  if (value === '*') return regexMatcher('.+');
  if (value.startsWith('*')) {
    return prefix === '' ? suffixMatcher(value.slice(1)) : regexMatcher(`${prefix}.*${quoteMeta(value.slice(1))}`);
  }
  if (value.endsWith('*')) return prefixMatcher(prefix + value.slice(0, -1));
  return exactMatcher(prefix + value);
}

/** StringOrMatcher: a ValueMatcher of the values' string matchers, an or_match when more than one. */
export function stringOrMatcher(values: readonly string[]): EnvoyJson {
  return orMatcher(values.map((v) => ({ string_match: stringMatcher(v) })));
}

/** OrMatcher: one value matcher as it is, several under or_match. */
export function orMatcher(matchers: EnvoyJson[]): EnvoyJson {
  return matchers.length === 1 ? (matchers[0] as EnvoyJson) : { or_match: { value_matchers: matchers } };
}

/**
 * A route HeaderMatcher for `:method`, `request.headers[...]` and `:authority` values: `*` is a
 * presence test (an empty prefix or suffix would be invalid), `*x` a suffix, `x*` a prefix.
 * Hosts compare without case (HostMatcher), other headers with it (HeaderMatcher).
 */
export function headerMatcher(name: string, value: string, ignoreCase = false): EnvoyJson {
  if (value === '*') return { name, present_match: true };
  if (value.startsWith('*')) return { name, string_match: suffixMatcher(value.slice(1), ignoreCase) };
  if (value.endsWith('*')) return { name, string_match: prefixMatcher(value.slice(0, -1), ignoreCase) };
  return { name, string_match: exactMatcher(value, ignoreCase) };
}

/** PathMatcher: the path's string matcher under `path`. */
export function pathMatcher(path: string): EnvoyJson {
  return { path: stringMatcher(path) };
}

/**
 * PathTemplateMatcher: Istio's `{*}` and `{**}` become Envoy's uri_template `*` and `**`, inside
 * the typed extension Istio names `uri-template`.
 */
export function uriTemplate(path: string): EnvoyJson {
  return {
    name: 'uri-template',
    typed_config: typed('envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig', {
      path_template: path.replaceAll('{**}', '**').replaceAll('{*}', '*'),
    }),
  };
}

/** security.ContainsPathTemplate. */
export function containsPathTemplate(path: string): boolean {
  return path.includes('{*}') || path.includes('{**}');
}

/** A MetadataMatcher of one filter's metadata at a path of keys. */
export function metadataMatcher(filter: string, keys: readonly string[], value: EnvoyJson): EnvoyJson {
  return { filter, path: keys.map((key) => ({ key })), value };
}

/**
 * MetadataListValueMatcher with useExtendedJwt: the claim matches when it is a list with one
 * element matching `value`, or is itself a value matching it.
 */
export function metadataListValueMatcher(filter: string, keys: readonly string[], value: EnvoyJson): EnvoyJson {
  return metadataMatcher(filter, keys, { or_match: { value_matchers: [{ list_match: { one_of: value } }, value] } });
}

/**
 * AddrStrToCidrRange: `10.0.0.0/8` as it is written, a bare address as /32 or /128. The address
 * is printed as Go's netip prints it (IPv6 compressed, lower case). Undefined for what is not an
 * address or CIDR (validation refuses those first).
 */
export function cidrRange(value: string): EnvoyJson | undefined {
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const bits = slash < 0 ? max : /^(0|[1-9]\d{0,2})$/.test(value.slice(slash + 1)) ? Number(value.slice(slash + 1)) : NaN;
  if (!(bits >= 0 && bits <= max)) return undefined;
  const printed = version === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
  return { address_prefix: printed, prefix_len: bits };
}
