// A Snapshot that notes the kinds of object a reader looks at, so what the reader built from it
// can be kept until an object of one of those kinds changes. It implements every method itself:
// a new Snapshot method does not compile until it says what it reads.
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

export class SnapshotReads implements Snapshot {
  private readonly seen = new Set<Kind>();
  private readGeneration = false;

  constructor(private readonly inner: Snapshot) {}

  /** The kinds read so far, or undefined if the reader saw the generation (its output may depend on it). */
  kinds(): ReadonlySet<Kind> | undefined {
    return this.readGeneration ? undefined : this.seen;
  }

  private reads<T>(value: T, ...kinds: Kind[]): T {
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
    return this.reads(this.inner.meshConfig, 'ConfigMap');
  }

  get outboundTrafficPolicy(): OutboundTrafficPolicyMode {
    return this.reads(this.inner.outboundTrafficPolicy, 'ConfigMap');
  }

  services(): readonly MeshService[] {
    return this.reads(this.inner.services(), 'Service', 'ServiceEntry');
  }

  serviceByHost(host: string): MeshService | undefined {
    return this.reads(this.inner.serviceByHost(host), 'Service', 'ServiceEntry');
  }

  endpoints(service: MeshService, port: ServicePort): readonly ResolvedEndpoint[] {
    return this.reads(this.inner.endpoints(service, port), 'EndpointSlice', 'Pod', 'ServiceEntry', 'WorkloadEntry');
  }

  pods(): readonly Pod[] {
    return this.reads(this.inner.pods(), 'Pod');
  }

  podByIp(ip: string): Pod | undefined {
    return this.reads(this.inner.podByIp(ip), 'Pod');
  }

  workloadEntries(): readonly WorkloadEntry[] {
    return this.reads(this.inner.workloadEntries(), 'WorkloadEntry');
  }

  servicesSelecting(namespace: string, labels: Record<string, string>): readonly Service[] {
    return this.reads(this.inner.servicesSelecting(namespace, labels), 'Service');
  }

  virtualServices(): readonly VirtualService[] {
    return this.reads(this.inner.virtualServices(), 'VirtualService');
  }

  sourceLabelSelectors(): readonly Readonly<Record<string, string>>[] {
    return this.reads(this.inner.sourceLabelSelectors(), 'VirtualService');
  }

  destinationRules(): readonly DestinationRule[] {
    return this.reads(this.inner.destinationRules(), 'DestinationRule');
  }

  // Which rule applies depends on the host's Service (its namespace), the rules and the mesh's default exportTo.
  destinationRuleFor(host: string, namespace: string, labels?: Readonly<Record<string, string>>): DestinationRule | undefined {
    return this.reads(this.inner.destinationRuleFor(host, namespace, labels), 'DestinationRule', 'Service', 'ServiceEntry', 'ConfigMap');
  }

  gateways(): readonly Gateway[] {
    return this.reads(this.inner.gateways(), 'Gateway');
  }

  sidecarFor(namespace: string, labels: Readonly<Record<string, string>>): Sidecar | undefined {
    return this.reads(this.inner.sidecarFor(namespace, labels), 'Sidecar');
  }

  // A reader of an empty list is not noted: where no EnvoyFilter exists, what a part built does not
  // depend on them, and one that comes to select a proxy changes the part's key (envoy-filter/).
  envoyFilters(): readonly EnvoyFilter[] {
    const list = this.inner.envoyFilters();
    return list.length > 0 ? this.reads(list, 'EnvoyFilter') : list;
  }

  peerAuthentications(): readonly PeerAuthentication[] {
    return this.reads(this.inner.peerAuthentications(), 'PeerAuthentication');
  }

  authorizationPolicies(): readonly AuthorizationPolicy[] {
    return this.reads(this.inner.authorizationPolicies(), 'AuthorizationPolicy');
  }

  requestAuthentications(): readonly RequestAuthentication[] {
    return this.reads(this.inner.requestAuthentications(), 'RequestAuthentication');
  }

  telemetries(): readonly Telemetry[] {
    return this.reads(this.inner.telemetries(), 'Telemetry');
  }

  object(ref: ObjectRef): MeshObject | undefined {
    return this.reads(this.inner.object(ref), ref.kind);
  }

  changedSince(kinds: Iterable<Kind>, since: number): boolean {
    return this.inner.changedSince(kinds, since);
  }
}
