// DestinationRule outlierDetection as Istio's applyOutlierDetection maps it.
import type { EnvoyJson } from '../types';
import { protoDuration } from '../durations';
import type { ClusterPolicy } from './effective';

/** Istio enforces a configured error count fully (100%), and a count of 0 not at all. */
function enforcing(count: number): number {
  return count > 0 ? 100 : 0;
}

export function outlierDetection(policy: ClusterPolicy): EnvoyJson | undefined {
  const od = policy.outlierDetection;
  if (!od) return undefined;
  // Success-rate ejection is statistical and surprising on small services; Istio turns it off.
  const out: EnvoyJson = { enforcing_success_rate: 0 };
  if (od.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = od.consecutive5xxErrors;
    out.enforcing_consecutive_5xx = enforcing(od.consecutive5xxErrors);
  }
  if (od.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = od.consecutiveGatewayErrors;
    out.enforcing_consecutive_gateway_failure = enforcing(od.consecutiveGatewayErrors);
  }
  const interval = od.interval && protoDuration(od.interval);
  if (interval) out.interval = interval;
  const baseEjection = od.baseEjectionTime && protoDuration(od.baseEjectionTime);
  if (baseEjection) out.base_ejection_time = baseEjection;
  if (od.maxEjectionPercent) out.max_ejection_percent = od.maxEjectionPercent;
  if (od.splitExternalLocalOriginErrors) {
    out.split_external_local_origin_errors = true;
    if (od.consecutiveLocalOriginFailures) {
      out.consecutive_local_origin_failure = od.consecutiveLocalOriginFailures;
      out.enforcing_consecutive_local_origin_failure = 100;
    }
    out.enforcing_local_origin_success_rate = 0;
  }
  return out;
}
