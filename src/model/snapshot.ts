// The immutable view translators read. Indexes are built on first use and kept for the life of
// the snapshot, so an answer costs a map lookup and objects nobody asks about cost nothing.
import { creationOrder, type Admissions } from './creation-order';
import { KeyChanges, type ReadKeys } from './key-changes';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from './mesh-config';
import { DestinationRuleIndex } from './destination-rules';
import { hostNamespace } from './hosts';
import { isIP } from 'node:net';
import { labelsMatch } from './labels';
import { externalEndpoints, externalServices, selectedWorkloadEntries, type WorkloadLookups } from './service-entries';
import {
  refOf,
  type DestinationRule,
  type EndpointSlice,
  type EndpointSlicePort,
  type ExternalService,
  type Gateway,
  type Kind,
  type MeshObject,
  type MeshService,
  type MeshSettings,
  type OutboundTrafficPolicyMode,
  type ObjectRef,
  type AuthorizationPolicy,
  type PeerAuthentication,
  type RequestAuthentication,
  type Telemetry,
  type Pod,
  type ResolvedEndpoint,
  type Service,
  type ServicePort,
  type Sidecar,
  type EnvoyFilter,
  type Snapshot,
  type VirtualService,
  type WorkloadEntry,
} from './types';

export type ObjectsByKind = { readonly [K in Kind]: readonly Extract<MeshObject, { kind: K }>[] };

/**
 * Kinds whose lists come in creation order: they claim hosts and addresses, and the oldest keeps
 * what two claim; of two PeerAuthentications at one level for one workload, the oldest applies;
 * of two Sidecars for one workload, the oldest applies; of two Gateway servers that cannot share
 * a port of one gateway workload, the oldest Gateway's is served.
 */
const IN_CREATION_ORDER: ReadonlySet<Kind> = new Set(['Service', 'VirtualService', 'Gateway', 'PeerAuthentication', 'ServiceEntry', 'Sidecar', 'Telemetry', 'EnvoyFilter']);

/**
 * `objects` by kind, Services and VirtualServices in creation order (src/model/creation-order.ts,
 * with `admissions` for objects without a creation timestamp), the others by namespace and name.
 */
export function groupByKind(objects: Iterable<MeshObject>, admissions: Admissions = new Map()): ObjectsByKind {
  const groups: { [K in Kind]: MeshObject[] } = {
    Service: [],
    EndpointSlice: [],
    Pod: [],
    VirtualService: [],
    DestinationRule: [],
    Gateway: [],
    ServiceEntry: [],
    Sidecar: [],
    EnvoyFilter: [],
    WorkloadEntry: [],
    PeerAuthentication: [],
    AuthorizationPolicy: [],
    RequestAuthentication: [],
    ConfigMap: [],
    Telemetry: [],
  };
  for (const o of objects) groups[o.kind].push(o);
  // Translation output must not depend on the order files were read or events arrived.
  const byCreation = creationOrder(admissions);
  for (const [kind, list] of Object.entries(groups) as [Kind, MeshObject[]][]) {
    list.sort(IN_CREATION_ORDER.has(kind) ? byCreation : (a, b) => a.meta.namespace.localeCompare(b.meta.namespace) || a.meta.name.localeCompare(b.meta.name));
    Object.freeze(list);
  }
  return groups as unknown as ObjectsByKind;
}

function nsName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function indexBy<T, K>(items: readonly T[], key: (item: T) => K | undefined): Map<K, T> {
  const map = new Map<K, T>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined && !map.has(k)) map.set(k, item);
  }
  return map;
}

/** Lookups over everything but VirtualServices, which the store checks against these before admitting. */
export class MeshIndexes {
  private meshServiceList?: readonly MeshService[];
  private byHost?: Map<string, MeshService>;
  private byIp?: Map<string, Pod>;
  private byPodName?: Map<string, Pod>;
  private slicesByService?: Map<string, EndpointSlice[]>;
  private rules?: DestinationRuleIndex;
  private sidecarsByNamespace?: Map<string, Sidecar[]>;
  /** By namespace and labels: the pods of one deployment share one answer. */
  private readonly selecting = new Map<string, readonly Service[]>();

  constructor(
    readonly objects: ObjectsByKind,
    readonly mesh: MeshSettings,
  ) {}

  get domain(): string {
    return this.mesh.domain;
  }

  /**
   * Kubernetes Services, then the hosts of ServiceEntries (in creation order), a host taken once:
   * by a Service before any ServiceEntry, else by the oldest ServiceEntry naming it.
   */
  meshServices(): readonly MeshService[] {
    if (!this.meshServiceList) {
      const taken = new Set(this.objects.Service.map((s) => s.hostname));
      const external: ExternalService[] = [];
      for (const entry of this.objects.ServiceEntry) {
        for (const service of externalServices(entry)) {
          if (taken.has(service.hostname)) continue;
          taken.add(service.hostname);
          external.push(service);
        }
      }
      this.meshServiceList = Object.freeze([...this.objects.Service, ...external]);
    }
    return this.meshServiceList;
  }

  serviceByHost(host: string): MeshService | undefined {
    this.byHost ??= indexBy(this.meshServices(), (s) => s.hostname);
    return this.byHost.get(host);
  }

  podByIp(ip: string): Pod | undefined {
    this.byIp ??= indexBy(this.objects.Pod, (p) => p.ip);
    return this.byIp.get(ip);
  }

  podByName(namespace: string, name: string): Pod | undefined {
    this.byPodName ??= indexBy(this.objects.Pod, (p) => nsName(p.meta.namespace, p.meta.name));
    return this.byPodName.get(nsName(namespace, name));
  }

  servicesSelecting(namespace: string, labels: Record<string, string>): readonly Service[] {
    const key = JSON.stringify([namespace, Object.entries(labels).sort()]);
    let found = this.selecting.get(key);
    if (!found) {
      found = Object.freeze(
        this.objects.Service.filter((s) => s.meta.namespace === namespace && s.selector && Object.keys(s.selector).length > 0 && labelsMatch(s.selector, labels)),
      );
      this.selecting.set(key, found);
    }
    return found;
  }

  slicesOf(service: Service): readonly EndpointSlice[] {
    if (!this.slicesByService) {
      this.slicesByService = new Map();
      for (const slice of this.objects.EndpointSlice) {
        const key = nsName(slice.meta.namespace, slice.serviceName);
        const list = this.slicesByService.get(key);
        if (list) list.push(slice);
        else this.slicesByService.set(key, [slice]);
      }
    }
    return this.slicesByService.get(nsName(service.meta.namespace, service.meta.name)) ?? [];
  }

  /** Snapshot.sidecarFor: Istio's initSidecarScopes order (selector first, then oldest first) and doGetSidecarScope's pick. */
  sidecarFor(namespace: string, labels: Readonly<Record<string, string>>): Sidecar | undefined {
    if (!this.sidecarsByNamespace) {
      this.sidecarsByNamespace = new Map();
      for (const sidecar of this.objects.Sidecar) {
        const list = this.sidecarsByNamespace.get(sidecar.meta.namespace) ?? [];
        list.push(sidecar);
        this.sidecarsByNamespace.set(sidecar.meta.namespace, list);
      }
    }
    const own = this.sidecarsByNamespace.get(namespace) ?? [];
    const selected = own.find((s) => s.spec.workloadSelector && labelsMatch(s.spec.workloadSelector.labels, labels));
    const unselected = (list: readonly Sidecar[]) => list.find((s) => !s.spec.workloadSelector);
    return selected ?? unselected(own) ?? unselected(this.sidecarsByNamespace.get(this.mesh.rootNamespace) ?? []);
  }

  /** The root namespace's `istio` ConfigMap's MeshConfig (the one ConfigMap in the model), else Istio's defaults. */
  get meshConfig(): MeshConfig {
    return this.objects.ConfigMap[0]?.mesh ?? DEFAULT_MESH_CONFIG;
  }

  destinationRuleFor(host: string, namespace: string, labels?: Readonly<Record<string, string>>): DestinationRule | undefined {
    this.rules ??= new DestinationRuleIndex(
      this.objects.DestinationRule,
      this.mesh,
      (h) => this.serviceByHost(h)?.meta.namespace ?? hostNamespace(h, this.domain),
      this.meshConfig.defaultDestinationRuleExportTo,
    );
    return this.rules.lookup(host, { namespace, labels });
  }
}

export class MeshSnapshot implements Snapshot {
  private readonly endpointCache = new Map<string, readonly ResolvedEndpoint[]>();
  private selectors: readonly Readonly<Record<string, string>>[] | undefined;

  constructor(
    readonly generation: number,
    private readonly indexes: MeshIndexes,
    /** The generation in which each kind last changed; a kind never seen has not changed. */
    private readonly kindChangedAt: ReadonlyMap<Kind, number> = new Map(),
    /** When each fine read key (snapshot-reads.ts) changed: the store's, shared by its snapshots. */
    private readonly keyChanges: KeyChanges = new KeyChanges(),
  ) {}

  changedSince(kinds: Iterable<Kind>, since: number): boolean {
    for (const kind of kinds) if ((this.kindChangedAt.get(kind) ?? 0) > since) return true;
    return false;
  }

  keysChangedSince(keys: ReadKeys, since: number): boolean {
    return this.keyChanges.changedSince(keys, since);
  }

  keysChangedAfter(since: number): readonly string[] | undefined {
    return this.keyChanges.after(since);
  }

  get domain(): string {
    return this.indexes.mesh.domain;
  }

  get trustDomain(): string {
    return this.indexes.mesh.trustDomain;
  }

  get rootNamespace(): string {
    return this.indexes.mesh.rootNamespace;
  }

  get meshConfig(): MeshConfig {
    return this.indexes.meshConfig;
  }

  get outboundTrafficPolicy(): OutboundTrafficPolicyMode {
    return this.meshConfig.outboundTrafficPolicy.mode;
  }

  services(): readonly MeshService[] {
    return this.indexes.meshServices();
  }

  serviceByHost(host: string): MeshService | undefined {
    return this.indexes.serviceByHost(host);
  }

  pods(): readonly Pod[] {
    return this.indexes.objects.Pod;
  }

  podByIp(ip: string): Pod | undefined {
    return this.indexes.podByIp(ip);
  }

  workloadEntries(): readonly WorkloadEntry[] {
    return this.indexes.objects.WorkloadEntry;
  }

  servicesSelecting(namespace: string, labels: Record<string, string>): readonly Service[] {
    return this.indexes.servicesSelecting(namespace, labels);
  }

  virtualServices(): readonly VirtualService[] {
    return this.indexes.objects.VirtualService;
  }

  sourceLabelSelectors(): readonly Readonly<Record<string, string>>[] {
    if (!this.selectors) {
      const distinct = new Map<string, Record<string, string>>();
      for (const vs of this.indexes.objects.VirtualService) {
        // http, tcp and tls rules alike: each matches on the client's labels.
        for (const rule of [...(vs.spec.http ?? []), ...(vs.spec.tcp ?? []), ...(vs.spec.tls ?? [])]) {
          for (const match of rule.match ?? []) {
            const labels = match?.sourceLabels;
            if (labels && Object.keys(labels).length > 0) distinct.set(JSON.stringify(Object.entries(labels).sort()), labels);
          }
        }
      }
      this.selectors = Object.freeze([...distinct.values()]);
    }
    return this.selectors;
  }

  destinationRules(): readonly DestinationRule[] {
    return this.indexes.objects.DestinationRule;
  }

  destinationRuleFor(host: string, namespace: string, labels?: Readonly<Record<string, string>>): DestinationRule | undefined {
    return this.indexes.destinationRuleFor(host, namespace, labels);
  }

  gateways(): readonly Gateway[] {
    return this.indexes.objects.Gateway;
  }

  sidecarFor(namespace: string, labels: Readonly<Record<string, string>>): Sidecar | undefined {
    return this.indexes.sidecarFor(namespace, labels);
  }

  envoyFilters(): readonly EnvoyFilter[] {
    return this.indexes.objects.EnvoyFilter;
  }

  peerAuthentications(): readonly PeerAuthentication[] {
    return this.indexes.objects.PeerAuthentication;
  }

  authorizationPolicies(): readonly AuthorizationPolicy[] {
    return this.indexes.objects.AuthorizationPolicy;
  }

  requestAuthentications(): readonly RequestAuthentication[] {
    return this.indexes.objects.RequestAuthentication;
  }

  telemetries(): readonly Telemetry[] {
    return this.indexes.objects.Telemetry;
  }

  object(ref: ObjectRef): MeshObject | undefined {
    return this.indexes.objects[ref.kind].find((o) => o.meta.namespace === ref.namespace && o.meta.name === ref.name);
  }

  /**
   * Every address of `service`'s EndpointSlices on the slice port named like `port` (or a slice's
   * only port, when a name is missing), labelled with its Pod's labels: the Pod named by targetRef, else the Pod with
   * that IP. An address listed by two slices counts once.
   */
  endpoints(service: MeshService, port: ServicePort): readonly ResolvedEndpoint[] {
    const key = `${service.kind}/${service.meta.namespace}/${service.meta.name}|${service.hostname}|${port.name ?? ''}|${port.port}`;
    let found = this.endpointCache.get(key);
    if (!found) {
      const lookups = { pods: () => this.indexes.objects.Pod, workloadEntries: () => this.indexes.objects.WorkloadEntry };
      found = Object.freeze(
        service.kind === 'ServiceEntry'
          ? externalEndpoints(service, port, lookups)
          : [...this.resolveEndpoints(service, port), ...this.selectedEntries(service, port, lookups)],
      );
      this.endpointCache.set(key, found);
    }
    return found;
  }

  /** WorkloadEntries a Kubernetes Service's selector picks, by IP only: Kubernetes cannot address a name (conversion.go DNSServiceEntryOnly). */
  private selectedEntries(service: Service, port: ServicePort, lookups: WorkloadLookups): ResolvedEndpoint[] {
    if (!service.selector || Object.keys(service.selector).length === 0) return [];
    return selectedWorkloadEntries(service.meta.namespace, service.selector, port, lookups).filter((ep) => isIP(ep.address) !== 0);
  }

  private resolveEndpoints(service: Service, port: ServicePort): ResolvedEndpoint[] {
    const seen = new Set<string>();
    const out: ResolvedEndpoint[] = [];
    for (const slice of this.indexes.slicesOf(service)) {
      if (slice.addressType === 'FQDN') continue; // names, not addresses: Envoy's EDS takes IPs only
      const slicePort = slice.ports.find((p) => (p.name ?? '') === (port.name ?? '')) ?? onlyUnnamedPort(slice, port);
      if (!slicePort) continue;
      for (const endpoint of slice.endpoints) {
        const pod =
          (endpoint.podRef && this.indexes.podByName(endpoint.podRef.namespace, endpoint.podRef.name)) ??
          endpoint.addresses.map((a) => this.indexes.podByIp(a)).find((p) => p !== undefined);
        for (const address of endpoint.addresses) {
          const id = `${address}:${slicePort.port}`;
          if (seen.has(id)) continue;
          seen.add(id);
          out.push({
            address,
            port: slicePort.port,
            ready: endpoint.ready,
            labels: pod?.meta.labels ?? {},
            ...(pod ? { serviceAccount: pod.serviceAccount } : {}),
            sources: pod ? [refOf(slice), refOf(pod)] : [refOf(slice)],
          });
        }
      }
    }
    return out;
  }
}

/** Hand-written slices often leave a lone port unnamed; a named one must match by name. */
function onlyUnnamedPort(slice: EndpointSlice, port: ServicePort): EndpointSlicePort | undefined {
  const [only] = slice.ports;
  return slice.ports.length === 1 && only && (!only.name || !port.name) ? only : undefined;
}
