// One generator per attribute an AuthorizationPolicy rule can test, as Istio's
// pilot/pkg/security/authz/model/generator.go writes them: a value (or, for the JWT attributes,
// all values at once) becomes an RBAC Permission (what is asked) or Principal (who asks).
// A value that cannot be expressed on the chain at hand (an HTTP attribute on a TCP chain) is a
// GenerateError; rule.ts decides, per action, what that costs.
import type { EnvoyJson } from '../../translate/types';
import {
  cidrRange, containsPathTemplate, exactMatcher, headerMatcher, metadataListValueMatcher, metadataMatcher, pathMatcher,
  prefixMatcher, quoteMeta, regexMatcher, stringMatcher, stringOrMatcher, suffixMatcher, uriTemplate,
} from './matchers';

export class GenerateError extends Error {}

/** Envoy's jwt_authn filter, whose dynamic metadata carries the verified token's claims under `payload`. */
export const JWT_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_PAYLOAD_KEY = 'payload';

/** One value in, one Permission or Principal out (Istio's `generator`). */
export interface ValueGenerator {
  kind: 'value';
  permission?(key: string, value: string, forTCP: boolean): EnvoyJson;
  principal?(key: string, value: string, forTCP: boolean): EnvoyJson;
}

/** All values in, one Permission or Principal out (Istio's `extendedGenerator`: the JWT attributes). */
export interface ListGenerator {
  kind: 'list';
  permission?(key: string, values: readonly string[], forTCP: boolean): EnvoyJson | undefined;
  principal?(key: string, values: readonly string[], forTCP: boolean): EnvoyJson | undefined;
}

export type Generator = ValueGenerator | ListGenerator;

function httpOnly(key: string, forTCP: boolean): void {
  if (forTCP) throw new GenerateError(`"${key}" is HTTP only`);
}

function cidr(value: string): EnvoyJson {
  const range = cidrRange(value);
  if (!range) throw new GenerateError(`invalid IP address or CIDR range ${value}`);
  return range;
}

/** Principal_Authenticated: the peer certificate's URI SAN (else DNS SAN, else subject) against `name`. */
function authenticated(name: EnvoyJson): EnvoyJson {
  return { authenticated: { principal_name: name } };
}

export const destIP: Generator = { kind: 'value', permission: (_k, v) => ({ destination_ip: cidr(v) }) };

export const destPort: Generator = {
  kind: 'value',
  permission: (_k, v) => {
    if (!/^\d+$/.test(v) || Number(v) > 65535) throw new GenerateError(`invalid port ${v}`);
    return { destination_port: Number(v) };
  },
};

export const connSNI: Generator = { kind: 'value', permission: (_k, v) => ({ requested_server_name: stringMatcher(v) }) };

export const srcIP: Generator = { kind: 'value', principal: (_k, v) => ({ direct_remote_ip: cidr(v) }) };

export const remoteIP: Generator = { kind: 'value', principal: (_k, v) => ({ remote_ip: cidr(v) }) };

/** A namespace pattern (`*` any run of characters) inside the peer's SPIFFE ID. */
export const srcNamespace: Generator = {
  kind: 'value',
  principal: (_k, v) => authenticated(regexMatcher(`.*/ns/${v.split('*').map(quoteMeta).join('.*')}/.*`)),
};

/** serviceAccountRegex: `sa` or `ns/sa` (the policy's namespace when elided), any other path segments allowed around them. */
export function srcServiceAccount(policyNamespace: string): Generator {
  return {
    kind: 'value',
    principal: (_k, v) => {
      const slash = v.indexOf('/');
      const [ns, sa] = slash < 0 ? [policyNamespace, v] : [v.slice(0, slash), v.slice(slash + 1)];
      return authenticated(regexMatcher(`spiffe://.+/ns/${quoteMeta(ns)}/(.+/|)sa/${quoteMeta(sa)}(/.+)?`));
    },
  };
}

/** `*` any trust domain; `td` exactly; `*td` or `td*` as a pattern within the first segment. */
export const srcTrustDomain: Generator = {
  kind: 'value',
  principal: (_k, v) => {
    if (v === '*') return authenticated(prefixMatcher('spiffe://'));
    if (!v.includes('*')) return authenticated(prefixMatcher(`spiffe://${v}/`));
    const star = v.indexOf('*');
    return authenticated(regexMatcher(`spiffe://${quoteMeta(v.slice(0, star))}[^/]*${quoteMeta(v.slice(star + 1))}/.*`));
  },
};

/** A principal as written (`td/ns/foo/sa/bar`), with Istio's wildcards, behind `spiffe://`. */
export const srcPrincipal: Generator = { kind: 'value', principal: (_k, v) => authenticated(stringMatcher(v, 'spiffe://')) };

const MATCH_ANY = regexMatcher('.+');

function jwtClaim(claim: string, matcher: EnvoyJson): EnvoyJson {
  return { metadata: metadataMatcher(JWT_FILTER, [JWT_PAYLOAD_KEY, claim], { string_match: matcher }) };
}

/**
 * `iss/sub` (split at the last `/`, since issuers are URLs) against the verified token's `iss`
 * and `sub` claims, with Istio's wildcards: `*`, `*suffix` (of the issuer, or of the subject when
 * there is no `/`), `prefix*` (of the subject, or of the issuer when there is no `/`).
 */
function requestPrincipal(value: string): EnvoyJson {
  const idx = value.lastIndexOf('/');
  const found = idx >= 0;
  const [iss, sub] = found ? [value.slice(0, idx), value.slice(idx + 1)] : [value, ''];
  let matchIss: EnvoyJson;
  let matchSub: EnvoyJson;
  if (value === '*') {
    matchIss = MATCH_ANY;
    matchSub = MATCH_ANY;
  } else if (value.startsWith('*')) {
    if (found) {
      matchIss = iss === '*' ? MATCH_ANY : suffixMatcher(iss.slice(1));
      matchSub = exactMatcher(sub);
    } else {
      matchIss = MATCH_ANY;
      matchSub = suffixMatcher(value.slice(1));
    }
  } else if (value.endsWith('*')) {
    if (found) {
      matchIss = exactMatcher(iss);
      matchSub = sub === '*' ? MATCH_ANY : prefixMatcher(sub.slice(0, -1));
    } else {
      matchIss = prefixMatcher(value.slice(0, -1));
      matchSub = MATCH_ANY;
    }
  } else {
    matchSub = exactMatcher(sub);
    matchIss = exactMatcher(iss);
  }
  return { and_ids: { ids: [jwtClaim('iss', matchIss), jwtClaim('sub', matchSub)] } };
}

export const requestPrincipals: Generator = {
  kind: 'list',
  principal: (key, values, forTCP) => {
    httpOnly(key, forTCP);
    const or = values.map(requestPrincipal);
    if (or.length === 0) return undefined;
    return or.length === 1 ? or[0] : { or_ids: { ids: or } };
  },
};

/** A claim (a list of nested names) of the verified token, as a list containing one of the values or equal to one. */
function claimGenerator(claims: (key: string) => string[]): Generator {
  return {
    kind: 'list',
    principal: (key, values, forTCP) => {
      httpOnly(key, forTCP);
      return { metadata: metadataListValueMatcher(JWT_FILTER, [JWT_PAYLOAD_KEY, ...claims(key)], stringOrMatcher(values)) };
    },
  };
}

export const requestAudiences = claimGenerator(() => ['aud']);
export const requestPresenter = claimGenerator(() => ['azp']);
export const requestClaims = claimGenerator((key) => nestedBracketNames(key.slice('request.auth.claims'.length)));

/**
 * `experimental.envoy.filters.*` tests the metadata of any Envoy filter, which Mast does not
 * promise to keep the shape of; it is reported (MAST1008) and fails like an attribute the chain
 * cannot express: an ALLOW rule using it allows nothing, a DENY or AUDIT rule drops only it.
 */
export const envoyFilterMetadata: Generator = {
  kind: 'list',
  permission: (key) => {
    throw new GenerateError(`"${key}" is not supported by Mast`);
  },
};

export const requestHeader: Generator = {
  kind: 'value',
  principal: (key, v, forTCP) => {
    httpOnly(key, forTCP);
    return { header: headerMatcher(bracketName(key.slice('request.headers'.length)), v) };
  },
};

export const host: Generator = {
  kind: 'value',
  permission: (key, v, forTCP) => {
    httpOnly(key, forTCP);
    return { header: headerMatcher(':authority', v, true) };
  },
};

export const path: Generator = {
  kind: 'value',
  permission: (key, v, forTCP) => {
    httpOnly(key, forTCP);
    return containsPathTemplate(v) ? { uri_template: uriTemplate(v) } : { url_path: pathMatcher(v) };
  },
};

export const method: Generator = {
  kind: 'value',
  permission: (key, v, forTCP) => {
    httpOnly(key, forTCP);
    return { header: headerMatcher(':method', v) };
  },
};

/** extractNameInBrackets: `[name]` -> `name`. */
function bracketName(s: string): string {
  if (!s.startsWith('[') || !s.endsWith(']')) throw new GenerateError(`expecting format [<NAME>], but found ${s}`);
  return s.slice(1, -1);
}

/** extractNameInNestedBrackets: `[a][b]` -> [a, b]; anything else is read as one `[name]`. */
function nestedBracketNames(s: string): string[] {
  const names: string[] = [];
  let begin = 0;
  while (begin < s.length) {
    const end = s[begin] === '[' ? endBracket(s, begin) : -1;
    if (end < 0) return [bracketName(s)];
    names.push(s.slice(begin + 1, end));
    begin = end + 1;
  }
  return names;
}

function endBracket(s: string, begin: number): number {
  for (let i = begin + 1; i < s.length; i++) {
    if (s[i] === '[') return -1;
    if (s[i] === ']') return i;
  }
  return -1;
}
