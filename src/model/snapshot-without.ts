// A snapshot as it would be without some objects: how a translation leaves out one object's
// contribution when what it translates to is something Envoy would reject (src/xds/cache.ts).
import { refKey, refOf, type DestinationRule, type Gateway, type Kind, type MeshObject, type ObjectRef, type Pod, type ResolvedEndpoint, type Service, type ServicePort, type Snapshot, type VirtualService } from './types';

/**
 * `inner` without the objects keyed (`Kind/namespace/name`) in `without`: they are absent from
 * every list and lookup; endpoints that came from them are gone; a DestinationRule left out no
 * longer applies to its host. Reads go through `inner`, so a SnapshotReads underneath still
 * notes what was read.
 */
export class SnapshotWithout implements Snapshot {
  constructor(
    private readonly inner: Snapshot,
    private readonly without: ReadonlySet<string>,
  ) {}

  private keep = <T extends MeshObject>(o: T): boolean => !this.without.has(refKey(refOf(o)));
  private kept<T extends MeshObject>(o: T | undefined): T | undefined {
    return o && this.keep(o) ? o : undefined;
  }

  get generation(): number {
    return this.inner.generation;
  }

  get domain(): string {
    return this.inner.domain;
  }

  services(): readonly Service[] {
    return this.inner.services().filter(this.keep);
  }

  serviceByHost(host: string): Service | undefined {
    return this.kept(this.inner.serviceByHost(host));
  }

  endpoints(service: Service, port: ServicePort): readonly ResolvedEndpoint[] {
    return this.inner.endpoints(service, port).filter((ep) => !ep.sources.some((s) => this.without.has(refKey(s))));
  }

  pods(): readonly Pod[] {
    return this.inner.pods().filter(this.keep);
  }

  podByIp(ip: string): Pod | undefined {
    return this.kept(this.inner.podByIp(ip));
  }

  servicesSelecting(namespace: string, labels: Record<string, string>): readonly Service[] {
    return this.inner.servicesSelecting(namespace, labels).filter(this.keep);
  }

  virtualServices(): readonly VirtualService[] {
    return this.inner.virtualServices().filter(this.keep);
  }

  sourceLabelSelectors(): readonly Readonly<Record<string, string>>[] {
    return this.inner.sourceLabelSelectors();
  }

  destinationRules(): readonly DestinationRule[] {
    return this.inner.destinationRules().filter(this.keep);
  }

  destinationRuleFor(host: string, namespace: string): DestinationRule | undefined {
    return this.kept(this.inner.destinationRuleFor(host, namespace));
  }

  gateways(): readonly Gateway[] {
    return this.inner.gateways().filter(this.keep);
  }

  object(ref: ObjectRef): MeshObject | undefined {
    return this.kept(this.inner.object(ref));
  }

  changedSince(kinds: Iterable<Kind>, since: number): boolean {
    return this.inner.changedSince(kinds, since);
  }
}
