// A traffic policy's load balancer settings, as Istio's validateLoadBalancer
// (pkg/config/validation/validation.go), agent.ValidateLocalityLbSetting,
// agent.ValidateZoneAwareLbSetting and agent.validateLocalities check them. Findings are MAST2032,
// warnings MAST2040 (deprecated) and MAST2041.
import type { FieldReader } from '../parse/read';
import { checkIstioDuration } from './values';

export interface OutlierDetection {
  baseEjectionTime?: string;
  interval?: string;
  consecutiveErrors?: number;
  consecutiveLocalOriginFailures?: number;
  splitExternalLocalOriginErrors?: boolean;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

interface Failover {
  from?: string;
  to?: string;
}

interface LocalityLbSetting {
  distribute?: { from?: string; to?: Record<string, number> }[];
  failover?: Failover[];
  failoverPriority?: string[];
}

export interface LoadBalancerSettings {
  consistentHash?: {
    httpCookie?: { name?: string; attributes?: { name?: string }[] };
    minimumRingSize?: number;
    maglev?: { tableSize?: number };
    ringHash?: unknown;
  };
  localityLbSetting?: LocalityLbSetting;
  zoneAwareLbSetting?: { failover?: Failover[]; failoverPriority?: string[] };
  warmup?: { duration?: string; minimumPercent?: number; aggression?: number };
}

const TOPOLOGY_LABELS = new Set(['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone']);

export function checkLoadBalancer(read: FieldReader, lb: LoadBalancerSettings | undefined, outlier: OutlierDetection | undefined, field: string): void {
  if (!lb) return;
  const report = (at: string, message: string): void => read.report('MAST2032', at, message);
  const hash = lb.consistentHash;
  if (hash) {
    const at = `${field}.consistentHash`;
    const cookie = hash.httpCookie;
    if (cookie && !cookie.name) report(`${at}.httpCookie.name`, 'name required for HttpCookie');
    const names = new Set<string>();
    for (const attr of cookie?.attributes ?? []) {
      if (!attr.name) report(`${at}.httpCookie.attributes`, 'cookie attribute name cannot be empty');
      else if (names.has(attr.name)) report(`${at}.httpCookie.attributes`, `duplicate cookie attribute name: ${attr.name}`);
      else names.add(attr.name);
    }
    if (hash.minimumRingSize) {
      read.report('MAST2040', `${at}.minimumRingSize`, "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead (Istio's validateLoadBalancer)");
      if (hash.maglev || hash.ringHash) report(at, 'only one of MinimumRingSize or Maglev/Ringhash can be specified');
    }
    if (hash.maglev) {
      const size = hash.maglev.tableSize ?? 0;
      if (size === 0) report(`${at}.maglev.tableSize`, 'tableSize must be set for maglev');
      if (size >= 5000011) report(`${at}.maglev.tableSize`, 'tableSize must be less than 5000011 for maglev');
      if (!isPrime(size)) report(`${at}.maglev.tableSize`, 'tableSize must be a prime number for maglev');
    }
  }
  if (lb.localityLbSetting && lb.zoneAwareLbSetting) report(field, 'only one of localityLbSetting and zoneAwareLbSetting can be set');
  checkLocalityLb(read, lb.localityLbSetting, outlier, `${field}.localityLbSetting`);
  checkZoneAwareLb(read, lb.zoneAwareLbSetting, outlier, `${field}.zoneAwareLbSetting`);
  const warm = lb.warmup;
  if (warm) {
    if (warm.duration === undefined) report(`${field}.warmup.duration`, 'duration is required');
    else checkIstioDuration(read, warm.duration, `${field}.warmup.duration`);
    if ((warm.minimumPercent ?? 0) > 100) report(`${field}.warmup.minimumPercent`, 'minimumPercent value should be less than or equal to 100');
    if (warm.aggression !== undefined && warm.aggression <= 0) report(`${field}.warmup.aggression`, 'aggression should be greater than 0');
  }
}

/** Envoy's (and Istio's) primality test for a Maglev table size. */
function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f * f <= x; f += 2) if (x % f === 0) return false;
  return true;
}

function checkLocalityLb(read: FieldReader, lb: LocalityLbSetting | undefined, outlier: OutlierDetection | undefined, field: string): void {
  if (!lb) return;
  const report = (message: string): void => read.report('MAST2032', field, message);
  const distribute = lb.distribute ?? [];
  const failover = lb.failover ?? [];
  const priority = lb.failoverPriority ?? [];
  if (distribute.length && failover.length) return report("can not simultaneously specify 'distribute' and 'failover'");
  const topology = failover.length ? priority.find((l) => TOPOLOGY_LABELS.has(l)) : undefined;
  if (topology) return report(`can not simultaneously set 'failover' and topology label '${topology}' in 'failover_priority'`);
  for (const d of distribute) {
    const weights = Object.values(d.to ?? {});
    if (weights.some((w) => w <= 0 || w > 100)) return report('locality weight must be in range [1, 100]');
    const total = weights.reduce((a, b) => a + b, 0);
    if (total !== 100) return report(`total locality weight ${total} != 100`);
    const problem = localitiesProblem(Object.keys(d.to ?? {}));
    if (problem) report(problem);
  }
  const problem = localitiesProblem(distribute.map((d) => d.from ?? ''));
  if (problem) report(problem);
  if ((failover.length || priority.length) && !outlier) read.report('MAST2041', field, 'outlier detection policy must be provided for failover (an Istio warning: ValidateLocalityLbSetting)');
  checkFailover(read, failover, field, 'locality lb failover');
}

function checkZoneAwareLb(read: FieldReader, lb: LoadBalancerSettings['zoneAwareLbSetting'], outlier: OutlierDetection | undefined, field: string): void {
  if (!lb) return;
  for (const label of lb.failoverPriority ?? []) {
    if (TOPOLOGY_LABELS.has(label)) read.report('MAST2032', field, `'failover_priority' for zone aware lb must not use topology label '${label}'; region- and zone-level routing are handled automatically`);
  }
  if ((lb.failover?.length || lb.failoverPriority?.length) && !outlier) read.report('MAST2041', field, 'outlier detection policy must be provided for failover (an Istio warning: ValidateZoneAwareLbSetting)');
  checkFailover(read, lb.failover ?? [], field, 'zone aware lb failover');
}

function checkFailover(read: FieldReader, failover: Failover[], field: string, what: string): void {
  for (const { from = '', to = '' } of failover) {
    if (from === to) read.report('MAST2032', field, `${what} settings must specify different regions`);
    if (from.includes('/') || to.includes('/')) read.report('MAST2032', field, `${what} only specify region`);
    if (from.includes('*') || to.includes('*')) read.report('MAST2032', field, `${what} region should not contain '*' wildcard`);
  }
}

/** agent.validateLocalities: `region[/zone[/subzone]]`, a `*` only at the end, no locality covering another. */
function localitiesProblem(localities: string[]): string | undefined {
  const seen = new Map<string, Map<string, Set<string>>>();
  const overlap = (l: string): string => `locality ${l} overlap with previous specified ones`;
  for (const locality of localities) {
    const stars = locality.split('*').length - 1;
    if (stars > 1 || (stars === 1 && !locality.endsWith('*'))) return `locality ${locality} wildcard '*' number can not exceed 1 and must be in the end`;
    if (seen.has('*')) return overlap(locality);
    const items = splitN(locality, '/', 3);
    if (items.some((i) => i === '')) return `locality ${locality} must not contain empty region/zone/subzone info`;
    const [region, zone, subzone] = items as [string, string?, string?];
    const zones = seen.get(region);
    if (zone === undefined) {
      if (zones) return overlap(locality);
      seen.set(region, new Map([['*', new Set(['*'])]]));
    } else if (subzone === undefined) {
      if (zones?.has('*') || zones?.has(zone)) return overlap(locality);
      if (zones) zones.set(zone, new Set(['*']));
      else seen.set(region, new Map([[zone, new Set(['*'])]]));
    } else {
      const subzones = zones?.get(zone);
      if (zones?.has('*') || subzones?.has('*') || subzones?.has(subzone)) return overlap(locality);
      if (subzones) subzones.add(subzone);
      else if (zones) zones.set(zone, new Set([subzone]));
      else seen.set(region, new Map([[zone, new Set([subzone])]]));
    }
  }
  return undefined;
}

/** Go's strings.SplitN: at most `n` pieces, the last holding the rest. */
function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}
