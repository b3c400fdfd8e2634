// An http rule's CORS policy, as Istio's validateCORSPolicy, validateAllowOrigins and
// validateCORSHTTPMethod (pkg/config/validation/validation.go) check it. Findings are MAST2025,
// MAST2004 for regexes and MAST2006 for maxAge.
import type { FieldReader } from '../parse/read';
import { corsHeaderNameProblem } from './headers';
import type { StringMatch } from './http-match';
import { goDurationNanos } from '../duration';
import { checkIstioDuration, checkRegex } from './values';

/** The methods Go's net/http names, and `*` (supportedCORSMethods); exact case. */
const CORS_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', '*']);

export interface CorsPolicy {
  allowOrigins?: StringMatch[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: string;
}

export function checkCors(read: FieldReader, policy: CorsPolicy | undefined, field: string): void {
  if (!policy) return;
  (policy.allowOrigins ?? []).forEach((origin, i) => {
    const at = `${field}.allowOrigins[${i}]`;
    const match = origin?.exact ?? origin?.prefix ?? origin?.regex ?? '';
    if (match === '') read.report('MAST2025', at, "an allowOrigins entry needs a non-empty exact, prefix or regex (Istio's validateAllowOrigins)");
    else if (origin.regex !== undefined) checkRegex(read, origin.regex, `${at}.regex`);
  });
  (policy.allowMethods ?? []).forEach((method, i) => {
    if (!CORS_METHODS.has(method)) read.report('MAST2025', `${field}.allowMethods[${i}]`, `${JSON.stringify(method)} is not a supported HTTP method`);
  });
  for (const list of ['allowHeaders', 'exposeHeaders'] as const) {
    (policy[list] ?? []).forEach((name, i) => {
      const problem = corsHeaderNameProblem(name);
      if (problem) read.report('MAST2025', `${field}.${list}[${i}]`, problem);
    });
  }
  if (policy.maxAge !== undefined) {
    checkIstioDuration(read, policy.maxAge, `${field}.maxAge`);
    const nanos = goDurationNanos(policy.maxAge);
    if (nanos !== undefined && nanos % 1_000_000_000n !== 0n && nanos > 0n) {
      read.report('MAST2025', `${field}.maxAge`, 'max_age duration is accurate only to seconds precision');
    }
  }
}
