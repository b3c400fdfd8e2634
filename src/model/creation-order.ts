// The order that stands for creation. Where two objects claim the same thing, Istio lets the older
// one have it: it sorts VirtualServices (and other kinds) by configCompareByCreationTime
// (pilot/pkg/model/config.go; sortMergedVirtualServicesByCreationTime in
// virtualservice_controller.go), so a sidecar serves a host from its oldest VirtualService and a
// gateway merges their routes oldest first. Mast orders the same way, so that adding an object
// never takes over what another already serves.
import { refKey, refOf, type MeshObject } from './types';

/**
 * `Kind/namespace/name` -> the snapshot generation in which the ConfigStore first admitted the
 * object, kept while the object stays in the snapshot (an update does not move it, a removal
 * forgets it). It stands in for creation time where objects have none: file mode's.
 */
export type Admissions = ReadonlyMap<string, number>;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of a Kubernetes `metadata.creationTimestamp` (RFC 3339), or undefined when it is not one. */
export function timestampMillis(text: string): number | undefined {
  if (!RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Istio's configCompareByCreationTime with admission standing in for a missing timestamp:
 * 1. `metadata.creationTimestamp`, earliest first; an object without one counts as Go's zero time,
 *    before any with one (as Istio reads it);
 * 2. between two without, the generation each was first admitted in (`admissions`), earliest
 *    first; one not admitted yet (what admission previews) is the newest. Objects with a
 *    timestamp skip this step, so their order does not depend on when Mast started;
 * 3. name, then namespace, in byte order (Istio's tie-break): objects admitted in one rebuild, such
 *    as every file read at start-up, are ordered the same whatever order the files were read in.
 */
export function creationOrder(admissions: Admissions): (a: MeshObject, b: MeshObject) => number {
  // Each object's timestamp and admission are read once per order, not once per comparison.
  const cache = new WeakMap<MeshObject, [number, number]>();
  const place = (o: MeshObject): [number, number] => {
    let p = cache.get(o);
    if (!p) {
      p = [timestampMillis(o.meta.creationTimestamp ?? '') ?? -Infinity, admissions.get(refKey(refOf(o))) ?? Infinity];
      cache.set(o, p);
    }
    return p;
  };
  const created = (o: MeshObject): number => place(o)[0];
  const admitted = (o: MeshObject): number => place(o)[1];
  return (a, b) => {
    const [ca, cb] = [created(a), created(b)];
    if (ca !== cb) return ca < cb ? -1 : 1;
    if (a.meta.creationTimestamp === undefined && b.meta.creationTimestamp === undefined) {
      const [ga, gb] = [admitted(a), admitted(b)];
      if (ga !== gb) return ga < gb ? -1 : 1;
    }
    return codeUnitOrder(a.meta.name, b.meta.name) || codeUnitOrder(a.meta.namespace, b.meta.namespace);
  };
}
