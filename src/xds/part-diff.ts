// What changed in a translation part between two generations, worked out once per part and
// shared by every delta stream that holds the part's previous version: with N proxies on one
// mesh, an endpoint change is then a diff of one part instead of N diffs of every resource.
import { CompositeMap } from './composite-map';
import type { EncodedResource } from './wire';

/**
 * Whether `b` replaces `a` with other content. Versions are content hashes: a resource encoded
 * again (its interned entry evicted after two generations unused) is new as an object only.
 */
const differs = (a: EncodedResource | undefined, b: EncodedResource): boolean => a !== b && a?.version !== b.version;

/** One type's resources of one translation part, with what changed since the map it replaced. */
export class PartMap extends Map<string, EncodedResource> {
  /** The map this one replaced, and the names added, changed or removed since it. */
  since: { from: PartMap; names: readonly string[] } | undefined;

  /** Records `from` as this map's predecessor; `from` forgets its own, so only one step is kept. */
  follow(from: PartMap): void {
    const names: string[] = [];
    for (const [name, r] of this) if (differs(from.get(name), r)) names.push(name);
    for (const name of from.keys()) if (!this.has(name)) names.push(name);
    from.since = undefined;
    this.since = { from, names };
  }

  /**
   * `from` with `removed` deleted and `set` written, following `from` with the names that differ:
   * what a part built per service becomes when a few services' resources change, at the cost of
   * a copy of `from` and of those resources, not of a comparison of every one.
   */
  static patched(from: PartMap, removed: Iterable<string>, set: Iterable<readonly [string, EncodedResource]>): PartMap {
    const map = new PartMap(from);
    const names = new Set<string>();
    for (const name of removed) if (map.delete(name)) names.add(name);
    for (const [name, r] of set) {
      if (differs(from.get(name), r)) names.add(name);
      else names.delete(name);
      map.set(name, r);
    }
    from.since = undefined;
    map.since = { from, names: [...names] };
    return map;
  }
}

type View = ReadonlyMap<string, EncodedResource>;

/** The part maps a view of one type is made of. */
export function partsOf(view: View): readonly View[] {
  if (view instanceof CompositeMap) return view.parts;
  return view.size ? [view] : [];
}

/**
 * The names that may differ between a view made of `synced` parts and `view`, or undefined when
 * only a full comparison can tell (a part appeared or went, or moved on by more than one step).
 */
export function namesChangedSince(synced: readonly View[], view: View): Set<string> | undefined {
  const parts = partsOf(view);
  if (parts.length !== synced.length) return undefined;
  const names = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === synced[i]) continue;
    if (!(part instanceof PartMap) || part.since?.from !== synced[i]) return undefined;
    for (const n of part.since.names) names.add(n);
  }
  return names;
}
