import type { ClusterPolicy } from './effective';

// Istio's simple policies as Envoy lb_policy values. PASSTHROUGH (an ORIGINAL_DST cluster) and
// consistentHash are not supported; without a policy Envoy's default, ROUND_ROBIN, applies.
const LB_POLICY: Record<string, string> = {
  ROUND_ROBIN: 'ROUND_ROBIN',
  LEAST_REQUEST: 'LEAST_REQUEST',
  LEAST_CONN: 'LEAST_REQUEST',
  RANDOM: 'RANDOM',
};

export function lbPolicy(policy: ClusterPolicy): string | undefined {
  const simple = policy.loadBalancer?.simple;
  return simple ? LB_POLICY[simple] : undefined;
}
