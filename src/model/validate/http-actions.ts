// What an http rule does besides routing: redirect, rewrite and direct response, as Istio's
// validateHTTPRedirect, validateHTTPRewrite, validateURIRegexRewrite, validateAuthorityRewrite and
// validateHTTPDirectResponse (pkg/config/validation/) check them.
import type { FieldReader } from '../parse/read';
import { httpStatusProblem } from './fault';
import { authorityHeaderValues, type Headers } from './headers';
import type { HttpMatchRequest } from './http-match';
import { portProblem } from './names';
import { checkRegex } from './values';

export interface HttpRedirect {
  uri?: string;
  prefixRewrite?: string;
  authority?: string;
  port?: number;
  derivePort?: string;
  scheme?: string;
  redirectCode?: number;
}

/** The codes Envoy's RedirectAction can send, as Istio's ApplyRedirect maps them (unset is 301). */
const ENVOY_REDIRECT_CODES: readonly number[] = [301, 302, 303, 307, 308];

/**
 * validateHTTPRedirect, which stops at its first finding (MAST2022). Istio's validation takes any
 * 3xx code, but its ApplyRedirect (pilot/pkg/networking/core/route/route.go) has no Envoy code
 * for 300, 304, 305 or 306..399 beyond those above: it drops the route's action and logs "Redirect
 * Code N is not yet supported". Mast admits the object as Istio does, leaves that rule out of
 * what it serves, and says so (MAST2041).
 */
export function checkRedirect(read: FieldReader, redirect: HttpRedirect | undefined, matches: (HttpMatchRequest | null)[] | undefined, field: string): void {
  const problem = redirect && redirectProblem(redirect, matches ?? []);
  if (problem) read.report('MAST2022', field, problem);
  else if (redirect?.redirectCode && !ENVOY_REDIRECT_CODES.includes(redirect.redirectCode)) {
    const message = `redirect code ${redirect.redirectCode} is not one Envoy can send (${ENVOY_REDIRECT_CODES.join(', ')}); this rule is not served and requests go on to the next rule (an Istio translation warning: ApplyRedirect, "Redirect Code ${redirect.redirectCode} is not yet supported")`;
    read.report('MAST2041', `${field}.redirectCode`, message);
  }
}

function redirectProblem(r: HttpRedirect, matches: (HttpMatchRequest | null)[]): string | undefined {
  if (r.uri && r.prefixRewrite) return 'redirect may only specify one of uri or prefix_rewrite';
  if (r.prefixRewrite && matches.some((m) => m?.uri && m.uri.prefix === undefined)) {
    return 'redirect prefix_rewrite requires all URI matches to use prefix match type';
  }
  if (!r.uri && !r.prefixRewrite && !r.authority && r.port === undefined && r.derivePort === undefined && !r.scheme) {
    return 'redirect must specify URI, authority, scheme, or port';
  }
  if (r.redirectCode && (r.redirectCode < 300 || r.redirectCode > 399)) return `${r.redirectCode} is not a valid redirect code, must be 3xx`;
  if (r.scheme && r.scheme !== 'http' && r.scheme !== 'https') return 'invalid redirect scheme, must be "http" or "https"';
  return r.port ? portProblem(r.port) : undefined;
}

export interface HttpRewrite {
  uri?: string;
  authority?: string;
  uriRegexRewrite?: { match?: string; rewrite?: string };
}

/** validateHTTPRewrite and validateURIRegexRewrite (MAST2023; MAST2004 for the regex). */
export function checkRewrite(read: FieldReader, rewrite: HttpRewrite | undefined, field: string): void {
  if (!rewrite) return;
  const regex = rewrite.uriRegexRewrite;
  if (rewrite.uri && regex) read.report('MAST2023', field, 'rewrite may only contain one of URI or UriRegexRewrite');
  else if (!rewrite.uri && !regex && !rewrite.authority) read.report('MAST2023', field, 'rewrite must specify at least one of URI, UriRegexRewrite, or authority');
  else if (regex && (!regex.match || !regex.rewrite)) read.report('MAST2023', `${field}.uriRegexRewrite`, 'UriRegexRewrite requires both Rewrite and Match fields to be specified');
  else if (regex) checkRegex(read, regex.match, `${field}.uriRegexRewrite.match`);
}

/** validateAuthorityRewrite: the authority is rewritten in one place only, `rewrite.authority` or one `:authority`/`host` request header. */
export function checkAuthorityRewrite(read: FieldReader, rewrite: HttpRewrite | undefined, headers: Headers | undefined, field: string): void {
  let current = rewrite?.authority ?? '';
  for (const value of authorityHeaderValues(headers)) {
    if (current !== '') {
      read.report('MAST2023', `${field}.headers.request`, `authority header cannot be set multiple times: have ${JSON.stringify(current)}, attempting to set ${JSON.stringify(value)}`);
      return;
    }
    current = value;
  }
}

export interface HttpDirectResponse {
  status?: number;
  body?: { string?: string; bytes?: string };
}

const KB = 1024;
const MB = 1024 * KB;

/** validateHTTPDirectResponse: a status from 200 to 600 and a body under 1 MB (a warning above 100 KB). */
export function checkDirectResponse(read: FieldReader, response: HttpDirectResponse | undefined, field: string): void {
  if (!response) return;
  const body = response.body;
  const size = body?.string !== undefined ? Buffer.byteLength(body.string, 'utf8') : body?.bytes !== undefined ? Buffer.from(body.bytes, 'base64').length : 0;
  if (size > MB) read.report('MAST2024', `${field}.body`, 'large direct_responses may impact control plane performance, must be less than 1MB');
  else if (size > 100 * KB) read.report('MAST2041', `${field}.body`, "large direct_responses may impact control plane performance (an Istio warning: validateHTTPDirectResponse)");
  const problem = httpStatusProblem(response.status ?? 0);
  if (problem) read.report('MAST2024', `${field}.status`, problem);
}
