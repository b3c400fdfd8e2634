// Istio's checks of HTTP header names and values (pkg/config/validation/validation.go:
// ValidateHTTPHeaderNameOrJwtClaimRoute, ValidateHTTPHeaderWithAuthorityOperationName,
// ValidateHTTPHeaderOperationName, ValidateCORSHTTPHeaderName, ValidateHTTPHeaderValue; and
// header_value_validator.go, a port of Envoy's header_parser.cc). Findings are MAST2020.
import type { FieldReader } from '../parse/read';
import { childPath } from '../parse/read';

/**
 * Istio's validHeaderNameRegex, meant as RFC 7230's token characters; as written, `+-.` in it is a
 * range, so `,` passes too, and Mast lets through what Istio does.
 */
const HEADER_NAME = /^[!#$%&'*+-.^_`|~A-Za-z0-9]+$/;
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);
/** protoc-gen-validate's header value rule: no control characters other than tab. */
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const JWT_CLAIM_PREFIX = '@request.auth.claims';

/** jwt.ToRoutingClaim(name).Match: `@request.auth.claims.a.b` or `@request.auth.claims[a][b]`. */
export function isJwtClaimRoute(name: string): boolean {
  if (!name.toLowerCase().startsWith(JWT_CLAIM_PREFIX)) return false;
  const rest = name.slice(JWT_CLAIM_PREFIX.length);
  return (rest.startsWith('.') && rest.length > 1) || (rest.startsWith('[') && rest.endsWith(']') && rest.length > 2);
}

/** A header a match may name: a token, a pseudo-header, or a JWT claim. */
export function matchHeaderNameProblem(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (isJwtClaimRoute(name) || PSEUDO_HEADERS.has(name)) return undefined;
  return HEADER_NAME.test(name) ? undefined : `header name ${name} is not a valid header name`;
}

export function corsHeaderNameProblem(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (name === '*') return undefined;
  return HEADER_NAME.test(name) ? undefined : `header name ${name} is not a valid header name`;
}

const isAuthority = (name: string): boolean => name.toLowerCase() === ':authority' || name.toLowerCase() === 'host';
const isInternal = (name: string): boolean => name.startsWith(':') || name.toLowerCase() === 'host';

/** A request header to add or set: anything but an internal (`:`-led) header, though `:authority`/`host` may be set. */
function addSetRequestNameProblem(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (isInternal(name) && !isAuthority(name)) return `invalid header ${JSON.stringify(name)}: header cannot have ":" prefix`;
  return undefined;
}

/** A request header to remove, or any response header operation: not Host, not internal. */
function operationNameProblem(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (name.toLowerCase() === 'host') return `invalid header ${JSON.stringify(name)}: cannot set Host header`;
  if (isInternal(name)) return `invalid header ${JSON.stringify(name)}: header cannot have ":" prefix`;
  return undefined;
}

/** ValidateHTTPHeaderValue: no control characters, and `%` only as `%%` or around a `%VARIABLE(...)%`. */
export function headerValueProblem(value: string): string | undefined {
  if (!HEADER_VALUE.test(value)) return `header value configuration ${value} is invalid`;
  const problem = formatterProblem(value);
  return problem && `header value configuration: ${problem}`;
}

type State = 'literal' | 'name' | 'array' | 'string' | 'inString' | 'delimiter' | 'argsEnd' | 'varEnd';

/** Envoy's header_parser.cc state machine over `%VAR%`, `%VAR(arg)%` and `%VAR(["a", "b"])%`. */
function formatterProblem(value: string): string | undefined {
  let state: State = 'literal';
  for (let pos = 0; pos < value.length; pos++) {
    const ch = value[pos];
    const hasNext = pos + 1 < value.length;
    switch (state) {
      case 'literal':
        if (ch !== '%') break;
        if (!hasNext) return 'invalid header configuration. Un-escaped %';
        if (value[pos + 1] === '%') pos++;
        else state = 'name';
        break;
      case 'name':
        if (ch === '%') state = 'literal';
        else if (ch === '(') state = 'array';
        break;
      case 'array':
        if (ch === '[') state = 'string';
        else if (ch !== ' ') state = 'inString';
        break;
      case 'delimiter':
        if (ch === ',') state = 'string';
        else if (ch === ']') state = 'argsEnd';
        else if (ch !== ' ') return "invalid header configuration. Expecting ',', ']', or whitespace";
        break;
      case 'string':
        if (ch === '"') state = 'inString';
        else if (ch !== ' ') return 'invalid header configuration. Expecting \'"\'';
        break;
      case 'inString':
        if (ch === '\\') {
          if (!hasNext) return 'invalid header configuration. Un-terminated backslash in JSON string';
          pos++;
        } else if (ch === ')') state = 'varEnd';
        else if (ch === '"') state = 'delimiter';
        break;
      case 'argsEnd':
        if (ch === ')') state = 'varEnd';
        else if (ch !== ' ') return "invalid header configuration. Expecting ')' or whitespace";
        break;
      case 'varEnd':
        if (ch === '%') state = 'literal';
        else if (ch !== ' ') return "invalid header configuration. Expecting '%' or whitespace after";
        break;
    }
  }
  return state === 'literal' ? undefined : `invalid header configuration. Un-terminated variable expression '${value}'`;
}

interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface Headers {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

/**
 * The header operations of an http rule or route destination, as validateHTTPRoute and
 * validateHTTPRouteDestinations check them. `field` is the `headers` field's path.
 */
export function checkHeaderOperations(read: FieldReader, headers: Headers | undefined, field: string): void {
  const report = (problem: string | undefined, at: string): void => {
    if (problem) read.report('MAST2020', at, problem);
  };
  for (const side of ['request', 'response'] as const) {
    const ops = headers?.[side];
    const nameProblem = side === 'request' ? addSetRequestNameProblem : operationNameProblem;
    for (const op of ['set', 'add'] as const) {
      for (const [name, value] of Object.entries(ops?.[op] ?? {})) {
        const at = childPath(`${field}.${side}.${op}`, name);
        report(nameProblem(name), at);
        report(typeof value === 'string' ? headerValueProblem(value) : undefined, at);
      }
    }
    (ops?.remove ?? []).forEach((name, i) => report(operationNameProblem(name), `${field}.${side}.remove[${i}]`));
  }
}

/** The authority a rule sets through request headers (`:authority` or `host`), for validateAuthorityRewrite. */
export function authorityHeaderValues(headers: Headers | undefined): string[] {
  const request = headers?.request;
  return [...Object.entries(request?.set ?? {}), ...Object.entries(request?.add ?? {})].filter(([name]) => isAuthority(name)).map(([, v]) => v);
}
