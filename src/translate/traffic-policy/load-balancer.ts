// A DestinationRule's `loadBalancer` as the cluster's lb_policy, as Istio's applyLoadBalancer and
// ApplyRingHashLoadBalancer set it (pilot/pkg/networking/core/cluster_traffic_policy.go). Simple
// policies map one to one (LEAST_CONN is LEAST_REQUEST); `consistentHash` makes a RING_HASH
// cluster (MAGLEV with `maglev`), whose hash key the routes to it carry (routes/hash-policy.ts).
// PASSTHROUGH (an ORIGINAL_DST cluster) is not supported; without a policy Envoy's default,
// ROUND_ROBIN, applies.
import type { EnvoyJson } from '../types';
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

/** The cluster fields of `policy`'s load balancer: `lb_policy` and its config, or nothing. */
export function loadBalancerFields(policy: ClusterPolicy): EnvoyJson {
  const lb = policy.loadBalancer;
  if (lb?.consistentHash) return consistentHashFields(lb.consistentHash);
  const simple = lb?.simple ? LB_POLICY[lb.simple] : undefined;
  return simple ? { lb_policy: simple } : {};
}
