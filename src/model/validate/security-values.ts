// The value checks of Istio's pkg/config/security/security.go at the pinned revision (ValidateIPs,
// ValidatePorts, CheckEmptyValues, CheckWildcardValues, CheckTrustDomainValues,
// CheckServiceAccount, CheckValidPathTemplate, ValidateAttribute): each returns Istio's message for
// the first value it refuses, or undefined.
import { isIP } from 'node:net';

/** security.ValidateIPs: each an address or a CIDR block as Go's netip parses them. */
export function ipsProblem(values: readonly string[] | undefined): string | undefined {
  for (const v of values ?? []) {
    const [addr, bits, extra] = v.split('/');
    if (bits === undefined) {
      if (isIP(addr as string) === 0) return `bad IP address (${v})`;
    } else {
      const version = isIP(addr as string);
      const ok = extra === undefined && version !== 0 && /^(0|[1-9]\d*)$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
      if (!ok) return `bad CIDR range (${v})`;
    }
  }
  return undefined;
}

/** security.ValidatePorts: decimal numbers up to 65535. */
export function portsProblem(values: readonly string[] | undefined): string | undefined {
  const bad = (values ?? []).find((p) => !/^\d+$/.test(p) || Number(p) > 65535);
  return bad === undefined ? undefined : `bad port (${bad})`;
}

export function emptyProblem(key: string, values: readonly string[] | undefined): string | undefined {
  return values?.some((v) => v === '') ? `empty value not allowed, found in ${key}` : undefined;
}

/** security.CheckWildcardValues (trust domains): at most one `*`, at the start or the end. */
function wildcardProblem(key: string, values: readonly string[] | undefined): string | undefined {
  for (const v of values ?? []) {
    if (v === '') return `empty value not allowed, found in ${key}`;
    const stars = v.split('*').length - 1;
    if (stars > 1) return `at most one wildcard is allowed, found in ${key}: ${JSON.stringify(v)}`;
    if (stars === 1 && v !== '*' && !v.startsWith('*') && !v.endsWith('*')) return `wildcard is only allowed at the start or end, found in ${key}: ${JSON.stringify(v)}`;
  }
  return undefined;
}

/** security.CheckTrustDomainValues. */
export function trustDomainProblem(key: string, values: readonly string[] | undefined): string | undefined {
  return wildcardProblem(key, values) ?? (values?.some((v) => v.includes('/')) ? `trust domain must not contain '/', found in ${key}` : undefined);
}

/** security.CheckServiceAccount: at most 16, `sa` or `ns/sa`, no wildcard, at most 320 characters. */
export function serviceAccountProblem(key: string, values: readonly string[] | undefined): string | undefined {
  if ((values?.length ?? 0) > 16) return 'may not have more than 16 values';
  for (const v of values ?? []) {
    if (v === '') return `empty value not allowed, found in ${key}`;
    if (v.includes('*')) return `wildcard not allowed, found in ${key}`;
    const slashes = v.split('/').length - 1;
    if (slashes > 1) return `expected format 'serviceAccount' or 'namespace/serviceAccount', found ${JSON.stringify(v)} in ${key}`;
    if (v.length > 320) return `value cannot exceed 320 characters, found ${JSON.stringify(v)} in ${key}`;
    if (slashes === 1 && (v.startsWith('/') || v.endsWith('/'))) return `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty ${v.startsWith('/') ? 'namespace' : 'serviceAccount'} ${JSON.stringify(v)} in ${key}`;
  }
  return undefined;
}

/** security.CheckValidPathTemplate: `{*}` and `{**}` as whole segments, `{**}` last, other segments plain RFC 3986 pchars. */
export function pathTemplateProblem(key: string, paths: readonly string[] | undefined): string | undefined {
  for (const path of paths ?? []) {
    const template = path.includes('{*}') || path.includes('{**}');
    const trimmed = path.replace(/^\/+|\/+$/g, '');
    let anySeen = false;
    for (const glob of trimmed.split('/')) {
      if ((glob === '{*}' || glob === '{**}') && anySeen) return `invalid or unsupported path ${trimmed}, found in ${key}. {**} is not the last operator`;
      if (glob === '{*}') continue;
      if (glob === '{**}') {
        anySeen = true;
        continue;
      }
      if (/[{}]/.test(glob)) return `invalid or unsupported path ${trimmed}, found in ${key}. Contains '{' or '}' beyond a supported path template`;
      if (template && !/^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/.test(glob)) return `invalid or unsupported path ${trimmed}, found in ${key}. Contains segment ${glob} with invalid string literal`;
    }
  }
  return undefined;
}

/** `a[b]` with a non-empty b (validateMapKey). */
function mapKeyProblem(key: string): string | undefined {
  const open = key.indexOf('[');
  return key.endsWith(']') && open > 0 && open < key.length - 2 ? undefined : `bad key (${key}): should have format a[b]`;
}

/** security.ValidateAttribute: the `when` keys Istio knows and what each value must be. */
export function attributeProblem(key: string, values: readonly string[]): string | undefined {
  const empty = emptyProblem(key, values);
  if (empty) return empty;
  if (key.startsWith('request.headers') || key.startsWith('request.auth.claims') || key.startsWith('experimental.envoy.filters.')) return mapKeyProblem(key);
  switch (key) {
    case 'source.ip':
    case 'remote.ip':
    case 'destination.ip':
      return ipsProblem(values);
    case 'source.serviceAccount':
      return serviceAccountProblem(key, values);
    case 'source.trustDomain':
      return wildcardProblem(key, values);
    case 'destination.port':
      return portsProblem(values);
    case 'source.namespace':
    case 'source.principal':
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
    case 'connection.sni':
      return undefined;
    case 'destination.namespace':
      return `attribute ${key} is replaced by the metadata.namespace`;
    case 'destination.name':
    case 'destination.user':
      return `deprecated attribute ${key}: only supported in v1alpha1`;
    default:
      return key.startsWith('destination.labels') ? `attribute ${key} is replaced by the workload selector` : `unknown attribute: ${key}`;
  }
}
