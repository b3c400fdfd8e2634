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

/** Changed entries a PartMap keeps beside its shared base before it folds them into a new one. */
const FOLD_AT = 256;

/**
 * One type's resources of one translation part, with what changed since the map it replaced.
 * A map `patched` from another shares that one's entries (its base) and keeps only the entries
 * changed since (its top, undefined marking one removed), folding them into a new base once they
 * are FOLD_AT: a part of 10,000 services' clusters changed by one endpoint change costs a copy of
 * the changed entries, not of 10,000 (a Map copy was most of the view cache's CPU per change at
 * 10,000 services). Iteration gives the base's unchanged entries in their order, then the changed.
 */
export class PartMap implements ReadonlyMap<string, EncodedResource> {
  /** The map this one replaced, and the names added, changed or removed since it. */
  since: { from: PartMap; names: readonly string[] } | undefined;
  private base: Map<string, EncodedResource>;
  private top = new Map<string, EncodedResource | undefined>();
  private count: number;
  /** Whether `base` is another map's too, so that this one may not write it. */
  private shared = false;

  constructor(entries?: Iterable<readonly [string, EncodedResource]>) {
    this.base = new Map(entries);
    this.count = this.base.size;
  }

  /** Adds or replaces an entry while the map is being made, before anything reads it. */
  set(name: string, r: EncodedResource): this {
    if (this.shared) throw new Error('a patched PartMap is read-only');
    this.base.set(name, r);
    this.count = this.base.size;
    return this;
  }

  get size(): number {
    return this.count;
  }

  get(name: string): EncodedResource | undefined {
    if (this.top.size > 0 && this.top.has(name)) return this.top.get(name);
    return this.base.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  *entries(): MapIterator<[string, EncodedResource]> {
    if (this.top.size === 0) return yield* this.base.entries();
    for (const entry of this.base) if (!this.top.has(entry[0])) yield entry;
    for (const [name, r] of this.top) if (r !== undefined) yield [name, r];
  }

  *keys(): MapIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): MapIterator<EncodedResource> {
    for (const [, r] of this.entries()) yield r;
  }

  [Symbol.iterator](): MapIterator<[string, EncodedResource]> {
    return this.entries();
  }

  forEach(fn: (r: EncodedResource, name: string, map: ReadonlyMap<string, EncodedResource>) => void): void {
    for (const [name, r] of this.entries()) fn(r, name, this);
  }

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
   * those resources (and of `from`'s changed entries), not of a comparison or copy of every one.
   * `from` itself when nothing differs (an endpoint change rewrites its service's cluster as it
   * was): views made of it stay as they are (cache.ts compose) and streams skip it unlooked.
   */
  static patched(from: PartMap, removed: Iterable<string>, set: Iterable<readonly [string, EncodedResource]>): PartMap {
    const map = new PartMap();
    map.base = from.base;
    map.top = new Map(from.top);
    map.count = from.count;
    const names = new Set<string>();
    const write = (name: string, r: EncodedResource | undefined): void => {
      const had = map.has(name);
      map.top.set(name, r);
      map.count += (r !== undefined ? 1 : 0) - (had ? 1 : 0);
    };
    for (const name of removed) {
      if (!map.has(name)) continue;
      write(name, undefined);
      names.add(name);
    }
    for (const [name, r] of set) {
      if (differs(from.get(name), r)) names.add(name);
      else names.delete(name);
      write(name, r);
    }
    if (names.size === 0) return from;
    map.shared = from.shared = true;
    if (map.top.size >= FOLD_AT) map.fold();
    from.since = undefined;
    map.since = { from, names: [...names] };
    return map;
  }

  /** A base of its own holding every entry, in iteration order. */
  private fold(): void {
    this.base = new Map(this.entries());
    this.top = new Map();
    this.shared = false;
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
