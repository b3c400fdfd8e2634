// The immutable view translators read. Indexes (mesh-indexes.ts) are built on first use and kept for the life of
// the snapshot, so an answer costs a map lookup and objects nobody asks about cost nothing.
import { KeyChanges, type ReadKeys } from './key-changes';
import type { MeshIndexes } from './mesh-indexes';
import type { MeshConfig } from './mesh-config';
import { isIP } from 'node:net';
import { externalEndpoints, selectedWorkloadEntries, type WorkloadLookups } from './service-entries';
export { groupByKind, type ObjectsByKind } from './kind-lists';
export { MeshIndexes } from './mesh-indexes';
import {
  refOf,
  type DestinationRule,
  type EndpointSlice,
  type EndpointSlicePort,
  type Gateway,
  type Kind,
  type MeshObject,
  type MeshService,
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
