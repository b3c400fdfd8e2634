// What Envoy would reject, found without a proxy connected: the same view cache a running Mast
// uses (translation, Envoy's rules, leaving the culprits out) run for proxies that stand for the
// mesh's workloads. `mast analyze` and the admission webhook use it, so a user meets MAST4001
// where they work, with the same message the log and /debug would give.
import { labelsMatch } from '../model/labels';
import { refKey, refOf, type Diagnostic, type Gateway, type MeshObject, type Snapshot } from '../model/types';
import { partsFor } from '../translate';
import type { ProxyClass } from '../translate/types';
import { gatewayKey } from '../translate/routes/virtual-services';
import { ViewCache } from './cache';

const quiet = { error() {} };

function sidecarIn(namespace: string, labels: Record<string, string> = {}, ip = '127.0.0.1'): ProxyClass {
  return { role: 'sidecar', namespace, labels, ips: [ip], interceptionMode: 'REDIRECT', localAddress: '127.0.0.1', outboundAddress: '0.0.0.0' };
}

function routerFor(gateway: Gateway): ProxyClass {
  return { ...sidecarIn(gateway.meta.namespace, { ...(gateway.spec.selector ?? {}) }), role: 'router' };
}

/**
 * Proxies standing for a whole mesh: every Pod (a router when a Gateway selects it), a sidecar in
 * each namespace that holds Istio objects but no Pod, and a router for each Gateway no Pod
 * serves. Pods of one deployment differ only in their IPs and share all but one translation part.
 */
export function meshProxies(snapshot: Snapshot): ProxyClass[] {
  const proxies: ProxyClass[] = [];
  const gateways = snapshot.gateways();
  const podNamespaces = new Set<string>();
  for (const pod of snapshot.pods()) {
    if (!pod.ip) continue;
    podNamespaces.add(pod.meta.namespace);
    const router = gateways.some((g) => Object.keys(g.spec.selector ?? {}).length > 0 && labelsMatch(g.spec.selector, pod.meta.labels));
    proxies.push({ ...sidecarIn(pod.meta.namespace, pod.meta.labels, pod.ip), role: router ? 'router' : 'sidecar' });
  }
  const configured = new Set([...snapshot.virtualServices(), ...snapshot.destinationRules()].map((o) => o.meta.namespace));
  for (const ns of configured) if (!podNamespaces.has(ns)) proxies.push(sidecarIn(ns));
  for (const g of gateways) if (!proxies.some((p) => p.role === 'router' && labelsMatch(g.spec.selector, p.labels))) proxies.push(routerFor(g));
  return proxies;
}

/**
 * Proxies whose config `object` shapes: a sidecar in its namespace (and in each namespace its
 * matches name as a source) and a router for each Gateway a VirtualService binds to; a router
 * for a Gateway; the proxies an object of another Istio kind selects (selectedProxies). Kinds
 * that translation reads through Services (EndpointSlice, Pod) need none.
 */
export function proxiesShapedBy(object: MeshObject, snapshot: Snapshot): ProxyClass[] {
  switch (object.kind) {
    case 'VirtualService': {
      const ns = object.meta.namespace;
      const sources = (object.spec.http ?? []).flatMap((r) => (r.match ?? []).flatMap((m) => (m.sourceNamespace ? [m.sourceNamespace] : [])));
      const bound = new Set((object.spec.gateways ?? []).map((g) => gatewayKey(g, ns)));
      const routers = snapshot.gateways().filter((g) => bound.has(`${g.meta.namespace}/${g.meta.name}`)).map(routerFor);
      const sidecars = bound.size === 0 || bound.has('mesh') ? [...new Set([ns, ...sources])].map((n) => sidecarIn(n)) : [];
      return [...sidecars, ...routers];
    }
    case 'DestinationRule':
      return [sidecarIn(object.meta.namespace)];
    case 'Gateway':
      return [routerFor(object)];
    case 'Service':
    case 'EndpointSlice':
    case 'Pod':
    case 'ConfigMap':
      return [];
    default:
      return selectedProxies(object, snapshot);
  }
}

/** The Istio kinds proxiesShapedBy leaves to selectedProxies. */
type Selecting = Extract<MeshObject, { kind: 'Sidecar' | 'EnvoyFilter' | 'ServiceEntry' | 'WorkloadEntry' | 'PeerAuthentication' | 'AuthorizationPolicy' | 'RequestAuthentication' | 'Telemetry' }>;

/** The labels an object selects workloads by: workloadSelector (EnvoyFilter, Sidecar) or selector (policies, Telemetry); none selects every workload. */
function selectorOf(object: Selecting): Record<string, string> {
  const spec = object.spec as { workloadSelector?: { labels?: Record<string, string> }; selector?: { matchLabels?: Record<string, string> } };
  return { ...(spec.workloadSelector?.labels ?? spec.selector?.matchLabels ?? {}) };
}

/**
 * For the kinds that shape the workloads they select (EnvoyFilter, Sidecar, PeerAuthentication,
 * RequestAuthentication, AuthorizationPolicy, Telemetry) or their namespace's view (ServiceEntry,
 * WorkloadEntry): the mesh's proxies in reach (its namespace; every namespace from the root
 * namespace) whose labels it selects, or where none runs yet, a sidecar and a router standing for
 * one it would select (an EnvoyFilter's GATEWAY patches need a router to land on).
 */
function selectedProxies(object: Selecting, snapshot: Snapshot): ProxyClass[] {
  const ns = object.meta.namespace;
  const labels = selectorOf(object);
  const inReach = (p: ProxyClass) => ns === snapshot.rootNamespace || p.namespace === ns;
  // Pods of one deployment differ only in their IPs: one of them stands for all.
  const selected = new Map(meshProxies(snapshot).filter((p) => inReach(p) && labelsMatch(labels, p.labels)).map((p) => [`${p.role}|${p.namespace}|${JSON.stringify(Object.entries(p.labels).sort())}`, p]));
  if (selected.size > 0) return [...selected.values()];
  const sidecar = sidecarIn(ns, labels);
  return [sidecar, { ...sidecar, role: 'router' }];
}

/**
 * MAST4001 findings for `snapshot` as these proxies would receive it: what Envoy would reject,
 * each naming the object left out for it. Builds everything afresh, so it costs a translation per
 * distinct proxy; meant for tools (analyze, admission), not the push path.
 */
export function envoyFindings(snapshot: Snapshot, proxies: readonly ProxyClass[]): Diagnostic[] {
  const views = new ViewCache((p) => partsFor(p.role), quiet);
  views.setSnapshot(snapshot);
  for (const proxy of proxies) views.viewFor(proxy);
  return views.findings();
}

/** The findings among `findings` about `object`. */
export function findingsAbout(findings: readonly Diagnostic[], object: MeshObject): Diagnostic[] {
  const key = refKey(refOf(object));
  return findings.filter((d) => d.object && refKey(d.object) === key);
}
