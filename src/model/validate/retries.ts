// An http rule's retry policy, as Istio's validateHTTPRetry (pkg/config/validation/validation.go)
// checks it. Findings are MAST2017, and MAST2006 for its durations.
import type { FieldReader } from '../parse/read';
import { checkIstioDuration } from './values';

/**
 * The retry conditions Istio accepts in `retryOn` besides HTTP status codes: Envoy's
 * x-envoy-retry-on and x-envoy-retry-grpc-on policies (supportedRetryOnPolicies).
 */
const RETRY_ON_POLICIES = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

/** The status codes Go's net/http.StatusText names, which Istio accepts as retry conditions. */
const HTTP_STATUS_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406,
  407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506,
  507, 508, 510, 511,
]);

export interface HttpRetry {
  attempts?: number;
  perTryTimeout?: string;
  retryOn?: string;
  retryRemoteLocalities?: boolean;
  backoff?: string;
}

/** Istio's reading of one `retryOn` item: a policy it knows, or a status code (strconv.Atoi, so `+503` too). */
function isRetryCondition(policy: string): boolean {
  if (RETRY_ON_POLICIES.has(policy)) return true;
  return /^[+-]?\d+$/.test(policy) && HTTP_STATUS_CODES.has(Number(policy));
}

/**
 * validateHTTPRetry: attempts not negative; with attempts 0 (retries off) nothing else may be set,
 * so a policy that forgot `attempts` is refused rather than silently disabled; each `retryOn`
 * item a known condition (a typo like `conect-failure` is refused); durations as ValidateDuration.
 */
export function checkRetries(read: FieldReader, retries: HttpRetry | undefined, field: string): void {
  if (!retries) return;
  const attempts = retries.attempts ?? 0;
  if (attempts < 0) read.report('MAST2017', `${field}.attempts`, 'attempts cannot be negative');
  if (attempts === 0 && (retries.perTryTimeout !== undefined || retries.retryOn || retries.retryRemoteLocalities !== undefined)) {
    read.report('MAST2017', `${field}.attempts`, 'http retry policy configured when attempts are set to 0 (disabled): set attempts (Istio\'s validateHTTPRetry)');
  }
  checkIstioDuration(read, retries.perTryTimeout, `${field}.perTryTimeout`);
  if (retries.retryOn) {
    const unknown = retries.retryOn.split(',').filter((p) => !isRetryCondition(p));
    if (unknown.length) {
      read.report('MAST2017', `${field}.retryOn`, `${unknown.map((p) => JSON.stringify(p)).join(', ')} ${unknown.length > 1 ? 'are not valid retryOn policies' : 'is not a valid retryOn policy'} (Istio's validateHTTPRetry)`);
    }
  }
  checkIstioDuration(read, retries.backoff, `${field}.backoff`);
}
