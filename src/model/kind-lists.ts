// The snapshot's lists of objects by kind, in the order translation reads them, and how the store
// moves them from one snapshot to the next: a change to one object copies its kind's list with
// that object replaced (a copy of pointers, no sort), and every other kind's list is shared.
import { creationOrder, type Admissions } from './creation-order';
import type { Kind, MeshObject } from './types';

export type ObjectsByKind = { readonly [K in Kind]: readonly Extract<MeshObject, { kind: K }>[] };

/**
 * Kinds whose lists come in creation order: they claim hosts and addresses, and the oldest keeps
 * what two claim; of two PeerAuthentications at one level for one workload, the oldest applies;
 * of two Sidecars for one workload, the oldest applies; of two Gateway servers that cannot share
 * a port of one gateway workload, the oldest Gateway's is served.
 */
const IN_CREATION_ORDER: ReadonlySet<Kind> = new Set(['Service', 'VirtualService', 'Gateway', 'PeerAuthentication', 'ServiceEntry', 'Sidecar', 'Telemetry', 'EnvoyFilter']);

const KINDS: readonly Kind[] = [
  'Service', 'EndpointSlice', 'Pod', 'VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'Sidecar',
  'EnvoyFilter', 'WorkloadEntry', 'PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication', 'ConfigMap', 'Telemetry',
];

const byNamespaceAndName = (a: MeshObject, b: MeshObject): number => a.meta.namespace.localeCompare(b.meta.namespace) || a.meta.name.localeCompare(b.meta.name);

/** The order of `kind`'s list: creation order (src/model/creation-order.ts) or namespace and name. */
function orderOf(kind: Kind, admissions: Admissions): (a: MeshObject, b: MeshObject) => number {
  return IN_CREATION_ORDER.has(kind) ? creationOrder(admissions) : byNamespaceAndName;
}

/**
 * `objects` by kind, Services and VirtualServices in creation order (src/model/creation-order.ts,
 * with `admissions` for objects without a creation timestamp), the others by namespace and name.
 */
export function groupByKind(objects: Iterable<MeshObject>, admissions: Admissions = new Map()): ObjectsByKind {
  const groups = Object.fromEntries(KINDS.map((k) => [k, [] as MeshObject[]])) as Record<Kind, MeshObject[]>;
  for (const o of objects) groups[o.kind].push(o);
  // Translation output must not depend on the order files were read or events arrived.
  for (const kind of KINDS) Object.freeze(groups[kind].sort(orderOf(kind, admissions)));
  return groups as unknown as ObjectsByKind;
}

/** One object's move between two snapshots: added (no before), changed, or removed (no after). */
export type ObjectChange = readonly [before: MeshObject | undefined, after: MeshObject | undefined];

/** Above this many changes to one kind (or an eighth of its list), its list is sorted whole again. */
const SORT_WHOLE_AT = 64;

/**
 * `previous` with `changes` applied, equal to `groupByKind` of the objects after them: each
 * changed kind's list is a new frozen array, each unchanged kind's is `previous`'s own. `before`
 * must be the very object in `previous`'s list. `admissions` must give objects still present the
 * admission they had in `previous` (the store only adds and forgets admissions), so the list is
 * still in order and an object goes in where a binary search puts it.
 */
export function withChanges(previous: ObjectsByKind, changes: ReadonlyMap<Kind, readonly ObjectChange[]>, admissions: Admissions): ObjectsByKind {
  const next = { ...previous } as Record<Kind, readonly MeshObject[]>;
  for (const [kind, list] of changes) {
    const order = orderOf(kind, admissions);
    const gone = new Set(list.flatMap(([before]) => (before ? [before] : [])));
    const added = list.flatMap(([, after]) => (after ? [after] : []));
    const old = previous[kind] as readonly MeshObject[];
    if (list.length > Math.max(SORT_WHOLE_AT, old.length / 8)) {
      next[kind] = Object.freeze([...old.filter((o) => !gone.has(o)), ...added].sort(order));
      continue;
    }
    const copy = gone.size ? old.filter((o) => !gone.has(o)) : [...old];
    for (const o of added) copy.splice(insertionPoint(copy, o, order), 0, o);
    next[kind] = Object.freeze(copy);
  }
  return next as unknown as ObjectsByKind;
}

/** Where `o` goes in `sorted` (after any equal): a binary search. */
function insertionPoint(sorted: readonly MeshObject[], o: MeshObject, order: (a: MeshObject, b: MeshObject) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (order(sorted[mid]!, o) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
