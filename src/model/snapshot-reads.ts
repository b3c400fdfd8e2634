// A Snapshot that notes what a reader looks at, so what the reader built from it can be kept until
// something it read changes. Most reads are noted by kind of object; a Service's endpoints are
// noted by that Service alone (`endpointsKey`), so a change to one Service's EndpointSlices
// rebuilds only what read that Service's endpoints (the per-service pieces of parts.ts). It
// implements every method itself: a new Snapshot method does not compile until it says what it reads.
import type {
  AuthorizationPolicy,
  DestinationRule,
  EnvoyFilter,
  Gateway,
  Kind,
  MeshObject,
  MeshService,
  ObjectRef,
  OutboundTrafficPolicyMode,
  PeerAuthentication,
  Pod,
  RequestAuthentication,
  ResolvedEndpoint,
  Service,
  ServicePort,
  Sidecar,
  Telemetry,
  Snapshot,
  VirtualService,
  WorkloadEntry,
} from './types';
import type { MeshConfig } from './mesh-config';
import type { ReadKeys } from './key-changes';

/**
 * The fine read key of the endpoints of Service `namespace/name`: its EndpointSlices and the Pods
 * they refer to, which the store marks changed when any of them is added, changed or removed
 * (endpoint-changes.ts).
 */
export function endpointsKey(namespace: string, name: string): string {
  return `EndpointSlice ${namespace}/${name}`;
}

/** What a reader read: kinds of object, and fine keys (`endpointsKey`) for reads narrower than a kind. */
export interface Reads {
  kinds: ReadonlySet<Kind>;
  keys: ReadKeys;
}

export class SnapshotReads implements Snapshot {
  private readonly seen = new Set<Kind>();
  private readonly seenKeys = new Set<string>();
  private readGeneration = false;

  constructor(private readonly inner: Snapshot) {}

  /** The kinds read so far, or undefined if the reader saw the generation (its output may depend on it). */
  kinds(): ReadonlySet<Kind> | undefined {
    return this.readGeneration ? undefined : this.seen;
  }

  /** Everything read so far, or undefined if the reader saw the generation. */
  reads(): Reads | undefined {
    return this.readGeneration ? undefined : { kinds: this.seen, keys: this.seenKeys };
  }

  /**
   * Whether anything `reads` names changed after generation `since`, in `snapshot`: what a reader
   * built then from the same reads would be built the same now.
   */
  static changed(snapshot: Snapshot, reads: Reads, since: number): boolean {
    return snapshot.changedSince(reads.kinds, since) || (reads.keys.size > 0 && snapshot.keysChangedSince(reads.keys, since));
  }

  private read<T>(value: T, ...kinds: Kind[]): T {
    for (const k of kinds) this.seen.add(k);
    return value;
  }

  get generation(): number {
    this.readGeneration = true;
    return this.inner.generation;
  }

  get domain(): string {
    return this.inner.domain;
  }

  get trustDomain(): string {
    return this.inner.trustDomain;
  }

  get rootNamespace(): string {
    return this.inner.rootNamespace;
  }

  get meshConfig(): MeshConfig {
    return this.read(this.inner.meshConfig, 'ConfigMap');
  }

  get outboundTrafficPolicy(): OutboundTrafficPolicyMode {
    return this.read(this.inner.outboundTrafficPolicy, 'ConfigMap');
  }

  services(): readonly MeshService[] {
    return this.read(this.inner.services(), 'Service', 'ServiceEntry');
  }

  serviceByHost(host: string): MeshService | undefined {
    return this.read(this.inner.serviceByHost(host), 'Service', 'ServiceEntry');
  }

  // A Service's endpoints read its own EndpointSlices and the Pods they name, which its fine key
  // stands for, and the WorkloadEntries its selector picks; a ServiceEntry's read every Pod and
  // WorkloadEntry its selector may pick.
  endpoints(service: MeshService, port: ServicePort): readonly ResolvedEndpoint[] {
    if (service.kind !== 'Service') return this.read(this.inner.endpoints(service, port), 'Pod', 'ServiceEntry', 'WorkloadEntry');
    this.seenKeys.add(endpointsKey(service.meta.namespace, service.meta.name));
    return this.read(this.inner.endpoints(service, port), 'WorkloadEntry');
  }

  pods(): readonly Pod[] {
    return this.read(this.inner.pods(), 'Pod');
  }

  podByIp(ip: string): Pod | undefined {
    return this.read(this.inner.podByIp(ip), 'Pod');
  }

  workloadEntries(): readonly WorkloadEntry[] {
    return this.read(this.inner.workloadEntries(), 'WorkloadEntry');
  }

  servicesSelecting(namespace: string, labels: Record<string, string>): readonly Service[] {
    return this.read(this.inner.servicesSelecting(namespace, labels), 'Service');
  }

  virtualServices(): readonly VirtualService[] {
    return this.read(this.inner.virtualServices(), 'VirtualService');
  }

  sourceLabelSelectors(): readonly Readonly<Record<string, string>>[] {
    return this.read(this.inner.sourceLabelSelectors(), 'VirtualService');
  }

  destinationRules(): readonly DestinationRule[] {
    return this.read(this.inner.destinationRules(), 'DestinationRule');
  }

  // Which rule applies depends on the host's Service (its namespace), the rules and the mesh's default exportTo.
  destinationRuleFor(host: string, namespace: string, labels?: Readonly<Record<string, string>>): DestinationRule | undefined {
    return this.read(this.inner.destinationRuleFor(host, namespace, labels), 'DestinationRule', 'Service', 'ServiceEntry', 'ConfigMap');
  }

  gateways(): readonly Gateway[] {
    return this.read(this.inner.gateways(), 'Gateway');
  }

  sidecarFor(namespace: string, labels: Readonly<Record<string, string>>): Sidecar | undefined {
    return this.read(this.inner.sidecarFor(namespace, labels), 'Sidecar');
  }

  // A reader of an empty list is not noted: where no EnvoyFilter exists, what a part built does not
  // depend on them, and one that comes to select a proxy changes the part's key (envoy-filter/).
  envoyFilters(): readonly EnvoyFilter[] {
    const list = this.inner.envoyFilters();
    return list.length > 0 ? this.read(list, 'EnvoyFilter') : list;
  }

  peerAuthentications(): readonly PeerAuthentication[] {
    return this.read(this.inner.peerAuthentications(), 'PeerAuthentication');
  }

  authorizationPolicies(): readonly AuthorizationPolicy[] {
    return this.read(this.inner.authorizationPolicies(), 'AuthorizationPolicy');
  }

  requestAuthentications(): readonly RequestAuthentication[] {
    return this.read(this.inner.requestAuthentications(), 'RequestAuthentication');
  }

  telemetries(): readonly Telemetry[] {
    return this.read(this.inner.telemetries(), 'Telemetry');
  }

  object(ref: ObjectRef): MeshObject | undefined {
    return this.read(this.inner.object(ref), ref.kind);
  }

  changedSince(kinds: Iterable<Kind>, since: number): boolean {
    return this.inner.changedSince(kinds, since);
  }

  keysChangedSince(keys: ReadKeys, since: number): boolean {
    return this.inner.keysChangedSince(keys, since);
  }

  keysChangedAfter(since: number): readonly string[] | undefined {
    return this.inner.keysChangedAfter(since);
  }
}
