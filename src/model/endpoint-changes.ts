// Which Services' endpoints a change touched, for the fine read keys of snapshot-reads.ts: a
// Service's endpoints (MeshSnapshot.endpoints) are its EndpointSlices' addresses, labelled from
// the Pods those name (targetRef) or hold the address of. So they change when one of its slices
// does, or a Pod one of its slices refers to by name or address; a change anywhere else leaves
// them as they were, and what was built from them is kept.
import { endpointsKey } from './snapshot-reads';
import type { EndpointSlice, MeshObject, Pod } from './types';

const byName = (namespace: string, name: string): string => `name ${namespace}/${name}`;
const byIp = (ip: string): string => `ip ${ip}`;

/** The ways a slice can find a Pod: each endpoint's targetRef and addresses (resolveEndpoints). */
function podRefs(slice: EndpointSlice): string[] {
  return slice.endpoints.flatMap((e) => [...(e.podRef ? [byName(e.podRef.namespace, e.podRef.name)] : []), ...e.addresses.map(byIp)]);
}

function podKeys(pod: Pod): string[] {
  return [byName(pod.meta.namespace, pod.meta.name), ...(pod.ip ? [byIp(pod.ip)] : [])];
}

/** The EndpointSlices and Pods of the last snapshot, indexed to tell whose endpoints a change touches. */
export class EndpointChanges {
  private readonly slices = new Map<string, EndpointSlice>();
  private readonly pods = new Map<string, Pod>();
  /** A Pod reference (by name or address) -> the keys of the slices holding it. */
  private readonly refs = new Map<string, Set<string>>();

  /**
   * The fine keys (`endpointsKey`) of the Services whose endpoints may differ between the last
   * snapshot and `objects`, given the object keys (`Kind/namespace/name`) that changed; the index
   * then follows `objects`. A slice counts for the Service it belonged to and the one it belongs to.
   */
  advance(changed: readonly string[], objects: ReadonlyMap<string, MeshObject>): Set<string> {
    const touched = new Set<string>();
    const owner = (slice: EndpointSlice) => touched.add(endpointsKey(slice.meta.namespace, slice.serviceName));
    for (const key of changed) {
      const before = this.slices.get(key);
      const after = objects.get(key);
      if (before) {
        owner(before);
        this.index(key, before, false);
        this.slices.delete(key);
      }
      if (after?.kind === 'EndpointSlice') {
        owner(after);
        this.index(key, after, true);
        this.slices.set(key, after);
      }
    }
    // Slices that changed are counted above, so their old references need no look.
    for (const key of changed) {
      const before = this.pods.get(key);
      const after = objects.get(key);
      const pods = [...(before ? [before] : []), ...(after?.kind === 'Pod' ? [after] : [])];
      for (const ref of pods.flatMap(podKeys)) for (const slice of this.refs.get(ref) ?? []) owner(this.slices.get(slice)!);
      if (after?.kind === 'Pod') this.pods.set(key, after);
      else this.pods.delete(key);
    }
    return touched;
  }

  private index(key: string, slice: EndpointSlice, add: boolean): void {
    for (const ref of podRefs(slice)) {
      let holders = this.refs.get(ref);
      if (add) {
        if (!holders) this.refs.set(ref, (holders = new Set()));
        holders.add(key);
      } else if (holders) {
        holders.delete(key);
        if (holders.size === 0) this.refs.delete(ref);
      }
    }
  }
}
