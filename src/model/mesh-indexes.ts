// Lookups over a snapshot's objects (by host, by Pod address, EndpointSlices by Service, the
// DestinationRule index...), each built on first use and kept for the life of the snapshot; the
// next snapshot shares those whose kinds did not change (`next`).
import type { ObjectChange, ObjectsByKind } from './kind-lists';
import { LayeredMap } from './layered-map';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from './mesh-config';
import { DestinationRuleIndex } from './destination-rules';
import { hostNamespace } from './hosts';
import { labelsMatch } from './labels';
import { externalServices } from './service-entries';
import type { DestinationRule, EndpointSlice, ExternalService, Kind, MeshService, MeshSettings, Pod, Service, Sidecar } from './types';

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
  private slicesByService?: LayeredMap<string, readonly EndpointSlice[]>;
  private rules?: DestinationRuleIndex;
  private sidecarsByNamespace?: Map<string, Sidecar[]>;
  /** By namespace and labels: the pods of one deployment share one answer. */
  private readonly selecting = new Map<string, readonly Service[]>();

  constructor(
    readonly objects: ObjectsByKind,
    readonly mesh: MeshSettings,
  ) {}

  /**
   * The indexes of `objects`, which are these indexes' objects after `changes` (kind -> each
   * object's before and after, as kind-lists.ts `withChanges` applied them). Every index built here
   * whose kinds did not change is shared, not rebuilt; the EndpointSlices by Service index takes
   * a slice change as a change to the lists of the Services it left and joined. So a change to one
   * object costs what depends on its kind, not the mesh.
   */
  next(objects: ObjectsByKind, changes: ReadonlyMap<Kind, readonly ObjectChange[]>): MeshIndexes {
    const next = new MeshIndexes(objects, this.mesh);
    const same = (...kinds: Kind[]) => !kinds.some((k) => changes.has(k));
    if (same('Service', 'ServiceEntry')) {
      if (this.meshServiceList) next.meshServiceList = this.meshServiceList;
      if (this.byHost) next.byHost = this.byHost;
    }
    if (same('Pod')) {
      if (this.byIp) next.byIp = this.byIp;
      if (this.byPodName) next.byPodName = this.byPodName;
    }
    if (this.rules && same('DestinationRule', 'Service', 'ServiceEntry', 'ConfigMap')) next.rules = this.rules;
    if (this.sidecarsByNamespace && same('Sidecar')) next.sidecarsByNamespace = this.sidecarsByNamespace;
    if (same('Service')) for (const [k, v] of this.selecting) next.selecting.set(k, v);
    const slices = changes.get('EndpointSlice');
    if (this.slicesByService) next.slicesByService = slices ? this.slicesMoved(this.slicesByService, slices) : this.slicesByService;
    return next;
  }

  /** `index` with each changed slice out of its old Service's list and into its new one's, in the order a full build gives. */
  private slicesMoved(index: LayeredMap<string, readonly EndpointSlice[]>, changes: readonly ObjectChange[]): LayeredMap<string, readonly EndpointSlice[]> {
    const lists = new Map<string, EndpointSlice[]>();
    const listOf = (slice: EndpointSlice): EndpointSlice[] => {
      const key = nsName(slice.meta.namespace, slice.serviceName);
      let list = lists.get(key);
      if (!list) lists.set(key, (list = [...(index.get(key) ?? [])]));
      return list;
    };
    for (const [before, after] of changes as readonly (readonly [EndpointSlice | undefined, EndpointSlice | undefined])[]) {
      if (before) {
        const list = listOf(before);
        list.splice(list.indexOf(before), 1);
      }
      if (after) listOf(after).push(after);
    }
    const byName = (a: EndpointSlice, b: EndpointSlice) => a.meta.namespace.localeCompare(b.meta.namespace) || a.meta.name.localeCompare(b.meta.name);
    return index.with(new Map([...lists].map(([key, list]) => [key, list.length ? list.sort(byName) : undefined])));
  }

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
      const byService = new Map<string, EndpointSlice[]>();
      for (const slice of this.objects.EndpointSlice) {
        const key = nsName(slice.meta.namespace, slice.serviceName);
        const list = byService.get(key);
        if (list) list.push(slice);
        else byService.set(key, [slice]);
      }
      this.slicesByService = LayeredMap.of<string, readonly EndpointSlice[]>(byService);
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
