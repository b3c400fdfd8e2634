// VirtualService fault injection. The filter sits in the chain with an empty config, which
// injects nothing; each rule with a `fault` overrides it on its own routes. Keeping the filter
// there always means adding a fault changes only routes, never the listener (no drain).
import type { EnvoyJson } from '../types';
import { fractionalPercent, typed } from '../core';
import { protoDuration } from '../durations';
import type { HttpRule } from '../routes/istio-types';
import type { HttpFilter } from './http-filter';

const HTTP_FAULT = 'envoy.extensions.filters.http.fault.v3.HTTPFault';
type Fault = NonNullable<HttpRule['fault']>;

/**
 * Istio's `percentage` (0-100, fractions allowed), else the deprecated integer `percent`. Envoy
 * reads a missing percentage as 0%, so a fault without one would never fire; Mast applies it to
 * every request instead, which is what a user who wrote no percentage expects.
 */
function percentOf(spec: { percentage?: { value?: number }; percent?: number }): EnvoyJson {
  return fractionalPercent(spec.percentage?.value ?? spec.percent ?? 100);
}

function delay(d: NonNullable<Fault['delay']>): EnvoyJson | undefined {
  const fixed = d.fixedDelay && protoDuration(d.fixedDelay);
  return fixed ? { fixed_delay: fixed, percentage: percentOf(d) } : undefined;
}

const GRPC_CODES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

function abort(a: NonNullable<Fault['abort']>): EnvoyJson | undefined {
  if (a.httpStatus) return { http_status: a.httpStatus, percentage: percentOf(a) };
  // Istio names gRPC codes (`UNAVAILABLE`); Envoy wants their numbers.
  const grpc = a.grpcStatus ? GRPC_CODES.indexOf(a.grpcStatus.toUpperCase()) : -1;
  if (grpc >= 0) return { grpc_status: grpc, percentage: percentOf(a) };
  return undefined;
}

function faultPerRoute(rule: HttpRule): EnvoyJson | undefined {
  if (!rule.fault) return undefined;
  const d = rule.fault.delay && delay(rule.fault.delay);
  const a = rule.fault.abort && abort(rule.fault.abort);
  if (!d && !a) return undefined;
  return typed(HTTP_FAULT, { ...(d ? { delay: d } : {}), ...(a ? { abort: a } : {}) });
}

export const faultFilter: HttpFilter = {
  name: 'envoy.filters.http.fault',
  typedConfig: typed(HTTP_FAULT),
  perRoute: faultPerRoute,
};
