// A DestinationRule's `loadBalancer` as the cluster's lb_policy, as Istio's applyLoadBalancer and
// ApplyRingHashLoadBalancer set it (pilot/pkg/networking/core/cluster_traffic_policy.go). Simple
// policies map one to one (LEAST_CONN is LEAST_REQUEST); `consistentHash` makes a RING_HASH
// cluster (MAGLEV with `maglev`), whose hash key the routes to it carry (routes/hash-policy.ts).
// PASSTHROUGH (an ORIGINAL_DST cluster) is not supported; without a policy Envoy's default,
// ROUND_ROBIN, applies. `warmup` (or the deprecated `warmupDurationSecs`) gives ROUND_ROBIN and
// LEAST_REQUEST clusters Envoy's slow start, as Istio's applyRoundRobinLoadBalancer and
// applyLeastRequestLoadBalancer (setWarmup, setSlowStartConfig) do; RANDOM and hashing have none.
import type { EnvoyJson } from '../types';
import { protoDuration } from '../durations';
import type { ClusterPolicy } from './effective';

const LB_POLICY: Record<string, string> = {
  ROUND_ROBIN: 'ROUND_ROBIN',
  LEAST_REQUEST: 'LEAST_REQUEST',
  LEAST_CONN: 'LEAST_REQUEST',
  RANDOM: 'RANDOM',
};

/** Envoy's (and Istio's) ring size when nothing sets one. */
const DEFAULT_MINIMUM_RING_SIZE = 1024;

type ConsistentHash = NonNullable<NonNullable<ClusterPolicy['loadBalancer']>['consistentHash']>;

function consistentHashFields(hash: ConsistentHash): EnvoyJson {
  if (hash.maglev) return { lb_policy: 'MAGLEV', ...(hash.maglev.tableSize ? { maglev_lb_config: { table_size: hash.maglev.tableSize } } : {}) };
  if (hash.ringHash) return { lb_policy: 'RING_HASH', ...(hash.ringHash.minimumRingSize ? { ring_hash_lb_config: { minimum_ring_size: hash.ringHash.minimumRingSize } } : {}) };
  // The deprecated top-level minimumRingSize (validation warns, MAST2040), else Envoy's default.
  return { lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: hash.minimumRingSize || DEFAULT_MINIMUM_RING_SIZE } };
}

type LoadBalancer = NonNullable<ClusterPolicy['loadBalancer']>;

/**
 * Envoy's `Cluster.SlowStartConfig` for `warmup` (aggression 1 and minimum weight 10% unless set,
 * Istio's defaults; the aggression's runtime key is Istio's "(", which no runtime layer sets, so
 * the value is fixed), else for `warmupDurationSecs` (the window alone); undefined without either.
 */
function slowStartConfig(lb: LoadBalancer): EnvoyJson | undefined {
  if (lb.warmup) {
    const window = protoDuration(lb.warmup.duration);
    if (!window) return undefined;
    return {
      slow_start_window: window,
      aggression: { default_value: lb.warmup.aggression ?? 1, runtime_key: '(' },
      min_weight_percent: { value: lb.warmup.minimumPercent ?? 10 },
    };
  }
  const window = lb.warmupDurationSecs && protoDuration(lb.warmupDurationSecs);
  return window ? { slow_start_window: window } : undefined;
}

/**
 * The cluster fields of `policy`'s load balancer: `lb_policy` and its config, or nothing. A warmup
 * without `simple` slows the start of Mast's default, ROUND_ROBIN (Istio's default is
 * LEAST_REQUEST, where it would go).
 */
export function loadBalancerFields(policy: ClusterPolicy): EnvoyJson {
  const lb = policy.loadBalancer;
  if (lb?.consistentHash) return consistentHashFields(lb.consistentHash);
  const simple = lb?.simple ? LB_POLICY[lb.simple] : undefined;
  const slowStart = lb ? slowStartConfig(lb) : undefined;
  if (slowStart && (simple === undefined || simple === 'ROUND_ROBIN')) return { lb_policy: 'ROUND_ROBIN', round_robin_lb_config: { slow_start_config: slowStart } };
  if (slowStart && simple === 'LEAST_REQUEST') return { lb_policy: 'LEAST_REQUEST', least_request_lb_config: { slow_start_config: slowStart } };
  return simple ? { lb_policy: simple } : {};
}
