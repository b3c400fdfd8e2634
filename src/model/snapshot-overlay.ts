// A snapshot with some objects replaced by another version of themselves, or left out: how a
// translation serves an object's last good version, or leaves its contribution out, when what it
// translates to is something Envoy would reject (src/xds/cache.ts).
import { refKey, refOf, type AuthorizationPolicy, type PeerAuthentication, type RequestAuthentication, type DestinationRule, type EnvoyFilter, type Gateway, type Kind, type MeshObject, type ObjectRef, type Pod, type ResolvedEndpoint, type MeshService, type OutboundTrafficPolicyMode, type Service, type ServiceEntry, type ServicePort, type Sidecar, type Telemetry, type WorkloadEntry, type Snapshot, type VirtualService } from './types';
import { externalEndpoints, externalServices } from './service-entries';
import type { MeshConfig } from './mesh-config';
import type { ReadKeys } from './key-changes';

/**
 * `inner` with the objects keyed (`Kind/namespace/name`) in `overrides` replaced by the version
 * given, or left out where it is null: absent from every list and lookup, endpoints that came from
 * them gone, a DestinationRule left out no longer applying to its host. A replacement is found
 * where the object is found (a replaced DestinationRule answers for the host the current one
 * answers for). Reads go through `inner`, so a SnapshotReads underneath still notes them.
 */
export class SnapshotOverlay implements Snapshot {
  constructor(
    private readonly inner: Snapshot,
    private readonly overrides: ReadonlyMap<string, MeshObject | null>,
  ) {}

  private swap<T extends MeshObject>(o: T | undefined): T | undefined {
    if (!o) return undefined;
    const key = refKey(refOf(o));
    if (!this.overrides.has(key)) return o;
    return (this.overrides.get(key) as T | null) ?? undefined;
  }

  private list<T extends MeshObject>(objects: readonly T[]): T[] {
    return objects.flatMap((o) => this.swap(o) ?? []);
  }

  get generation(): number {
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
    return this.inner.meshConfig;
  }

  get outboundTrafficPolicy(): OutboundTrafficPolicyMode {
    return this.inner.outboundTrafficPolicy;
  }

  /** A ServiceEntry's host as its replacement has it (if it still names the host), or nothing if the entry is left out. */
  private swapService(service: MeshService): MeshService | undefined {
    if (service.kind === 'Service') return this.swap(service);
    const key = refKey(refOf(service));
    if (!this.overrides.has(key)) return service;
    const replacement = this.overrides.get(key) as ServiceEntry | null;
    return replacement ? externalServices(replacement).find((s) => s.hostname === service.hostname) : undefined;
  }

  services(): readonly MeshService[] {
    return this.inner.services().flatMap((s) => this.swapService(s) ?? []);
  }

  serviceByHost(host: string): MeshService | undefined {
    const found = this.inner.serviceByHost(host);
    return found && this.swapService(found);
  }

  endpoints(service: MeshService, port: ServicePort): readonly ResolvedEndpoint[] {
    const gone = (s: ObjectRef) => this.overrides.get(refKey(s)) === null;
    // A replaced ServiceEntry's endpoints are its replacement's, which the inner snapshot never saw.
    const endpoints = service.kind === 'ServiceEntry' && this.overrides.has(refKey(refOf(service)))
      ? externalEndpoints(service, port, { pods: () => this.pods(), workloadEntries: () => this.workloadEntries() })
      : this.inner.endpoints(service, port);
    return endpoints.filter((ep) => !ep.sources.some(gone));
  }

  pods(): readonly Pod[] {
    return this.list(this.inner.pods());
  }

  podByIp(ip: string): Pod | undefined {
    return this.swap(this.inner.podByIp(ip));
  }

  workloadEntries(): readonly WorkloadEntry[] {
    return this.list(this.inner.workloadEntries());
  }

  servicesSelecting(namespace: string, labels: Record<string, string>): readonly Service[] {
    return this.list(this.inner.servicesSelecting(namespace, labels));
  }

  virtualServices(): readonly VirtualService[] {
    return this.list(this.inner.virtualServices());
  }

  sourceLabelSelectors(): readonly Readonly<Record<string, string>>[] {
    return this.inner.sourceLabelSelectors();
  }

  destinationRules(): readonly DestinationRule[] {
    return this.list(this.inner.destinationRules());
  }

  destinationRuleFor(host: string, namespace: string, labels?: Readonly<Record<string, string>>): DestinationRule | undefined {
    return this.swap(this.inner.destinationRuleFor(host, namespace, labels));
  }

  gateways(): readonly Gateway[] {
    return this.list(this.inner.gateways());
  }

  // A Sidecar left out leaves the proxy unscoped rather than falling back to another one: it
  // only ever shrinks what a proxy receives, so leaving it out never adds a rejected resource.
  sidecarFor(namespace: string, labels: Readonly<Record<string, string>>): Sidecar | undefined {
    return this.swap(this.inner.sidecarFor(namespace, labels));
  }

  envoyFilters(): readonly EnvoyFilter[] {
    return this.list(this.inner.envoyFilters());
  }

  peerAuthentications(): readonly PeerAuthentication[] {
    return this.list(this.inner.peerAuthentications());
  }

  authorizationPolicies(): readonly AuthorizationPolicy[] {
    return this.list(this.inner.authorizationPolicies());
  }

  requestAuthentications(): readonly RequestAuthentication[] {
    return this.list(this.inner.requestAuthentications());
  }

  telemetries(): readonly Telemetry[] {
    return this.list(this.inner.telemetries());
  }

  object(ref: ObjectRef): MeshObject | undefined {
    return this.swap(this.inner.object(ref));
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
