// Which DestinationRule settings apply to one cluster, merged the way Istio's MergeTrafficPolicy
// does: the rule's policy, its port-level settings for the port, then the subset's policy and the
// subset's port-level settings, each later one winning.
import type { DestinationRule } from '../../model/types';
import type { Subset } from '../service-ports';

type TrafficPolicy = NonNullable<DestinationRule['spec']['trafficPolicy']>;

/** The parts of a traffic policy Mast turns into cluster settings. */
export type ClusterPolicy = Pick<TrafficPolicy, 'connectionPool' | 'loadBalancer' | 'outlierDetection' | 'tls'>;

/**
 * Any of the four places that hold these settings (policy, port level, subset, subset port level).
 * Istio's generated types spell the same schema out four times (a loadBalancer alone is 9000
 * lines of union), and letting tsc compare those copies cost it over a minute and 3.6 GB per
 * build; read through `unknown`-typed fields, each copy is taken as the top level's type.
 */
type Settings = { [K in keyof ClusterPolicy]?: unknown };

function parts(p: Settings): ClusterPolicy {
  const { connectionPool, loadBalancer, outlierDetection, tls } = p as ClusterPolicy;
  return { connectionPool, loadBalancer, outlierDetection, tls };
}

function portLevel<T extends { port?: { number?: number } }>(policy: { portLevelSettings?: T[] }, port: number): T | undefined {
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
  const mine = parts(own);
  return {
    connectionPool: mine.connectionPool ?? base.connectionPool,
    loadBalancer: mine.loadBalancer ?? base.loadBalancer,
    outlierDetection: mine.outlierDetection ?? base.outlierDetection,
    tls: mine.tls ?? base.tls,
  };
}
