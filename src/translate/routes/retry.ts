// Retries as Istio sets them: a default policy on every route, replaced field by field by a
// VirtualService's `retries`, and switched off by `attempts: 0`.
import type { EnvoyJson } from '../types';
import { typed } from '../core';
import { protoDuration } from '../durations';
import type { HttpRule } from './istio-types';

type Retries = NonNullable<HttpRule['retries']>;

const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

// Retrying on the host that just failed mostly fails again; pick another one when there is one.
const PREVIOUS_HOSTS = {
  name: 'envoy.retry_host_predicates.previous_hosts',
  typed_config: typed('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate'),
};

function defaultPolicy(): EnvoyJson {
  return {
    retry_on: DEFAULT_RETRY_ON,
    num_retries: 2,
    retry_host_predicate: [PREVIOUS_HOSTS],
    host_selection_retry_max_attempts: '5',
    retriable_status_codes: [503],
  };
}

/**
 * Istio's parseRetryOn: numbers in `retryOn` are status codes (read as Go's strconv.Atoi reads
 * them, so `+503` and `0503` are 503; validation has refused numbers that are no status code),
 * the rest Envoy retry conditions.
 */
function parseRetryOn(retryOn: string): { on: string; codes: number[] } {
  const parts = retryOn.split(',').map((p) => p.trim()).filter(Boolean);
  const isCode = (p: string): boolean => /^[+-]?\d+$/.test(p);
  const codes = parts.filter(isCode).map(Number);
  const conditions = parts.filter((p) => !isCode(p));
  if (codes.length > 0 && !conditions.includes('retriable-status-codes')) conditions.push('retriable-status-codes');
  return { on: conditions.join(','), codes };
}

/**
 * The Envoy RetryPolicy for a rule's `retries`, or undefined when retries are off. `hashing` (the
 * route carries a consistent-hash key): a retry stays on the hashed host, without the
 * previous-hosts predicate, as Istio's ConvertPolicy leaves it out.
 */
export function retryPolicy(retries: Retries | undefined, hashing = false): EnvoyJson | undefined {
  const out = defaultPolicy();
  if (hashing) delete out.retry_host_predicate;
  if (!retries) return out;
  if (!retries.attempts || retries.attempts <= 0) return undefined;
  out.num_retries = retries.attempts;
  if (retries.retryOn) {
    const { on, codes } = parseRetryOn(retries.retryOn);
    out.retry_on = on;
    if (codes.length > 0) out.retriable_status_codes = codes;
    else delete out.retriable_status_codes;
  }
  const perTry = retries.perTryTimeout && protoDuration(retries.perTryTimeout);
  if (perTry) out.per_try_timeout = perTry;
  const backoff = retries.backoff && protoDuration(retries.backoff);
  if (backoff) out.retry_back_off = { base_interval: backoff };
  if (retries.retryIgnorePreviousHosts === false) delete out.retry_host_predicate;
  return out;
}
