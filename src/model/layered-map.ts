// A read-only map that a snapshot can hand on to the next with a few entries changed, without
// copying the rest: a shared base plus the entries changed since, folded into a new base once
// they are many. Copying a 10,000-entry Map costs milliseconds; a change to one entry should not.

/** Changed entries kept beside the base before they are folded into a new one. */
const FOLD_AT = 256;

export class LayeredMap<K, V> {
  private constructor(
    private readonly base: ReadonlyMap<K, V>,
    /** Entries changed since `base`; undefined marks one removed. */
    private readonly top: ReadonlyMap<K, V | undefined>,
  ) {}

  /** A layered map holding `entries` (taken over, not copied: the caller must not change it). */
  static of<K, V>(entries: Map<K, V>): LayeredMap<K, V> {
    return new LayeredMap(entries, new Map());
  }

  get(key: K): V | undefined {
    return this.top.has(key) ? this.top.get(key) : this.base.get(key);
  }

  /** Every key, the base's unchanged ones first (in the base's order), then the changed ones. */
  *keys(): IterableIterator<K> {
    for (const k of this.base.keys()) if (!this.top.has(k)) yield k;
    for (const [k, v] of this.top) if (v !== undefined) yield k;
  }

  /** This map with `changes` applied (undefined removes the key); this one is left as it was. */
  with(changes: ReadonlyMap<K, V | undefined>): LayeredMap<K, V> {
    const top = new Map(this.top);
    for (const [k, v] of changes) top.set(k, v);
    if (top.size < FOLD_AT) return new LayeredMap(this.base, top);
    const base = new Map(this.base);
    for (const [k, v] of top) {
      if (v === undefined) base.delete(k);
      else base.set(k, v);
    }
    return new LayeredMap(base, new Map());
  }
}
