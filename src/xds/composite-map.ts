// A read-only view over several maps with disjoint keys, so a proxy's view can be the union of
// shared pieces without copying their entries into a map of its own per proxy.
export class CompositeMap<V> implements ReadonlyMap<string, V> {
  constructor(readonly parts: readonly ReadonlyMap<string, V>[]) {}

  get size(): number {
    let n = 0;
    for (const p of this.parts) n += p.size;
    return n;
  }

  get(key: string): V | undefined {
    for (const p of this.parts) {
      const v = p.get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.parts.some((p) => p.has(key));
  }

  *entries(): MapIterator<[string, V]> {
    for (const p of this.parts) yield* p.entries();
  }

  *keys(): MapIterator<string> {
    for (const p of this.parts) yield* p.keys();
  }

  *values(): MapIterator<V> {
    for (const p of this.parts) yield* p.values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}
