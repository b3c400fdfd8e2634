// Which DestinationRule settings apply to one cluster, merged the way Istio's MergeTrafficPolicy
// does: the rule's policy, its port-level settings for the port, then the subset's policy and the
// subset's port-level settings, each later one winning.
import type { DestinationRule } from '../../model/types';
import type { Subset } from '../service-ports';

type TrafficPolicy = NonNullable<DestinationRule['spec']['trafficPolicy']>;
type PortLevelSettings = NonNullable<TrafficPolicy['portLevelSettings']>[number];

/** The parts of a traffic policy Mast turns into cluster settings. */
export type ClusterPolicy = Pick<PortLevelSettings, 'connectionPool' | 'loadBalancer' | 'outlierDetection'>;

function parts(p: ClusterPolicy): ClusterPolicy {
  return { connectionPool: p.connectionPool, loadBalancer: p.loadBalancer, outlierDetection: p.outlierDetection };
}

function portLevel(policy: TrafficPolicy, port: number): PortLevelSettings | undefined {
  return policy.portLevelSettings?.find((s) => s.port?.number === port);
}

export function effectivePolicy(rule: DestinationRule | undefined, port: number, subset?: Subset): ClusterPolicy {
  const top = rule?.spec.trafficPolicy;
  // Port-level settings replace the policy's wholesale: per Istio's docs they do not inherit.
  const base = top ? parts(portLevel(top, port) ?? top) : {};
  const own = subset?.trafficPolicy;
  if (!own) return base;
  const ownPort = portLevel(own, port);
  if (ownPort) return parts(ownPort);
  return {
    connectionPool: own.connectionPool ?? base.connectionPool,
    loadBalancer: own.loadBalancer ?? base.loadBalancer,
    outlierDetection: own.outlierDetection ?? base.outlierDetection,
  };
}
