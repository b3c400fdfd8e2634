// Where a proxy and an endpoint are (region/zone/subzone), and which locality load-balancing
// setting applies to a cluster, as Istio decides them: pilot/pkg/xds/ads.go (setTopologyLabels,
// localityFromProxyLabels), the Kubernetes registry's getPodLocality, pkg/model/proxy.go
// (GetLocalityLabel, SanitizeLocalityLabel) and loadbalancer.GetEffectiveLbSetting.
import type { Snapshot } from '../../model/types';
import type { ClusterPolicy } from './effective';

/** Envoy's `core.v3.Locality`; an unknown part is `''`, as Go's zero value is. */
export interface Locality {
  region: string;
  zone: string;
  subZone: string;
}

export const REGION_LABEL = 'topology.kubernetes.io/region';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const SUBZONE_LABEL = 'topology.istio.io/subzone';
/** Istio's override labels, `region.zone.subzone` (a label value cannot hold `/`); the first wins. */
const LOCALITY_LABELS = ['topology.istio.io/locality', 'istio-locality'];

export const NO_LOCALITY: Locality = Object.freeze({ region: '', zone: '', subZone: '' });

/** `region/zone/subzone` (or Istio's `.`-separated label form) as a Locality (ConvertLocality). */
export function parseLocality(text: string): Locality {
  if (!text) return NO_LOCALITY;
  const [region = '', zone = '', subZone = ''] = (text.includes('/') ? text : text.replaceAll('.', '/')).split('/', 3);
  return { region, zone, subZone };
}

/** Istio's LocalityToString: `region`, `region/zone` or `region/zone/subzone`. */
export function localityString(l: Locality): string {
  if (!l.zone) return l.region;
  return l.subZone ? `${l.region}/${l.zone}/${l.subZone}` : `${l.region}/${l.zone}`;
}

function overrideLabel(labels: Readonly<Record<string, string>>): string | undefined {
  for (const key of LOCALITY_LABELS) if (labels[key] !== undefined) return labels[key];
  return undefined;
}

function topologyLabels(labels: Readonly<Record<string, string>>): Locality | undefined {
  const [region, zone, subZone] = [labels[REGION_LABEL], labels[ZONE_LABEL], labels[SUBZONE_LABEL]];
  if (region === undefined && zone === undefined && subZone === undefined) return undefined;
  return { region: region ?? '', zone: zone ?? '', subZone: subZone ?? '' };
}

/**
 * A proxy's locality, as istiod's setTopologyLabels finds it: the workload's topology labels
 * (`topology.kubernetes.io/region`, `.../zone`, `topology.istio.io/subzone`), else its
 * `topology.istio.io/locality` or `istio-locality` label, else what Envoy's bootstrap sent in
 * `node.locality` (`nodeLocality`, `region/zone/subzone`).
 */
export function proxyLocality(labels: Readonly<Record<string, string>>, nodeLocality: string | undefined): Locality {
  const fromLabels = topologyLabels(labels);
  if (fromLabels) return fromLabels;
  const override = overrideLabel(labels);
  return parseLocality(override ?? nodeLocality ?? '');
}

/**
 * An endpoint's locality from its Pod's labels, as Istio's getPodLocality: the `istio-locality`
 * (or `topology.istio.io/locality`) label first, else the topology labels, which Istio reads from
 * the Pod's Node and Mast, knowing no Nodes, from the Pod itself.
 */
export function endpointLocality(labels: Readonly<Record<string, string>>): Locality {
  const override = overrideLabel(labels);
  if (override !== undefined) return parseLocality(override);
  return topologyLabels(labels) ?? NO_LOCALITY;
}

/**
 * Labels with the locality's topology labels added, as Istio's AugmentLabels adds them to proxy
 * and endpoint labels, so `failoverPriority` can name them whatever the locality came from.
 */
export function withTopologyLabels(labels: Readonly<Record<string, string>>, l: Locality): Record<string, string> {
  if (!l.region && !l.zone && !l.subZone) return { ...labels };
  return { ...labels, [REGION_LABEL]: l.region, [ZONE_LABEL]: l.zone, ...(l.subZone ? { [SUBZONE_LABEL]: l.subZone } : {}) };
}

type LoadBalancer = NonNullable<ClusterPolicy['loadBalancer']>;
export type LocalityLbSetting = NonNullable<LoadBalancer['localityLbSetting']>;

/**
 * The locality setting in effect for a cluster (GetEffectiveLbSetting): the DestinationRule's
 * `localityLbSetting`, else the mesh's, which Istio's default mesh config sets to `enabled: true`
 * with nothing else (Mast has no mesh config for it, so that default holds). `undefined` when the
 * rule sets `enabled: false`.
 */
export function effectiveLocalitySetting(policy: ClusterPolicy): LocalityLbSetting | undefined {
  const own = policy.loadBalancer?.localityLbSetting;
  if (!own) return { enabled: true };
  return own.enabled === false ? undefined : own;
}

/**
 * Whether the cluster gets Envoy's locality-weighted load balancing (LocalityLBSettings.ApplyToCluster):
 * when `distribute` is set, or when `failover` or `failoverPriority` is set and failover is
 * enabled, which takes outlier detection (without it Envoy never leaves the first priority).
 * Istio's ENABLE_LOCALITY_WEIGHTED_LB_CONFIG (off by default) is not followed.
 */
export function localityWeighted(policy: ClusterPolicy): boolean {
  const setting = effectiveLocalitySetting(policy);
  if (!setting) return false;
  if (setting.distribute?.length) return true;
  return policy.outlierDetection !== undefined && Boolean(setting.failover?.length || setting.failoverPriority?.length);
}

interface LocalityReads {
  /** Some rule's clusters rank or weigh endpoints by where the proxy is. */
  locality: boolean;
  /** The label names `failoverPriority` compares with the proxy's. */
  labels: readonly string[];
}

const readsOf = new WeakMap<Snapshot, LocalityReads>();

/**
 * What of a proxy its endpoints depend on, given the mesh's DestinationRules: its locality, if
 * any traffic policy has outlier detection (the mesh default's failover) or a localityLbSetting,
 * and the labels any failoverPriority names. Worked out once per snapshot.
 */
export function localityReads(snapshot: Snapshot): LocalityReads {
  let reads = readsOf.get(snapshot);
  if (reads) return reads;
  let locality = false;
  const labels = new Set<string>();
  for (const rule of snapshot.destinationRules()) {
    const levels = (p: unknown): Settings[] => (p ? [p as Settings, ...((p as { portLevelSettings?: Settings[] }).portLevelSettings ?? [])] : []);
    const policies = [...levels(rule.spec.trafficPolicy), ...(rule.spec.subsets ?? []).flatMap((s) => levels(s.trafficPolicy))];
    for (const p of policies) {
      const setting = p.loadBalancer?.localityLbSetting;
      if (p.outlierDetection || setting) locality = true;
      for (const l of setting?.failoverPriority ?? []) labels.add(l.split('=')[0]!);
    }
  }
  reads = { locality, labels: [...labels].sort() };
  readsOf.set(snapshot, reads);
  return reads;
}

/** Any level of a traffic policy, read only for what localityReads needs (see effective.ts on why not the generated types). */
interface Settings {
  outlierDetection?: unknown;
  loadBalancer?: { localityLbSetting?: { failoverPriority?: string[] } };
}
