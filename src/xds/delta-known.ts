// What a delta client holds (name -> version) without a per-stream copy of what every stream of
// the mesh holds. A Map of every name a sidecar was sent held ~2400 entries (~150 KB of heap) per
// stream on the 1000-service mesh, the same for every proxy of a deployment. Once a stream has
// brought a type in line with a view, the client holds exactly the view's resources in its scope;
// the stream then refers to that view (shared, immutable part maps) and its subscription (a shared,
// immutable set, shared-names.ts) and keeps only where the client differs from them.
import type { EncodedResource } from './wire';

type View = ReadonlyMap<string, EncodedResource>;

/** A view and the scope a stream synced to it under: what the client holds when nothing differs. */
interface Base {
  view: View;
  wildcard: boolean;
  /** Read-only: the stream replaces its subscription set instead of changing it. */
  subscribed: ReadonlySet<string>;
}

/**
 * Name -> version the client holds, as a Map would keep it: a base (what a stream in line with
 * one view holds) and the stream's own differences from it (a version, or `undefined` for a name
 * the client does not hold although the base has it).
 */
export class KnownVersions {
  private base: Base | undefined;
  /** Made when there is a first difference, dropped when there is none: most pushes leave none. */
  private over: Map<string, string | undefined> | undefined;
  private count = 0;

  private fromBase(name: string): string | undefined {
    const b = this.base;
    if (!b || !(b.wildcard || b.subscribed.has(name))) return undefined;
    return b.view.get(name)?.version;
  }

  /** The version the client holds of `name`, or undefined when it holds none. */
  get(name: string): string | undefined {
    const over = this.over;
    return over?.has(name) ? over.get(name) : this.fromBase(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** How many names the client holds. */
  get size(): number {
    return this.count;
  }

  /** The client was sent `name` at `version` (or said it holds it, on reconnect). */
  set(name: string, version: string): void {
    const base = this.fromBase(name);
    if ((this.over?.has(name) ? this.over.get(name) : base) === undefined) this.count++;
    if (base === version) this.over?.delete(name);
    else (this.over ??= new Map()).set(name, version);
  }

  /** The client no longer holds `name`: removed, or out of its scope. */
  delete(name: string): void {
    const base = this.fromBase(name);
    if ((this.over?.has(name) ? this.over.get(name) : base) !== undefined) this.count--;
    if (base === undefined) this.over?.delete(name);
    else (this.over ??= new Map()).set(name, undefined);
  }

  /** Whether the client holds exactly `view`'s resources in the base's scope and nothing else. */
  holdsExactly(view: View): boolean {
    return this.base?.view === view && !this.over?.size;
  }

  /** Every name the client holds, its differences first, then the base's in the view's order. */
  *keys(): Generator<string> {
    const over = this.over;
    if (over) for (const [name, version] of over) if (version !== undefined) yield name;
    const b = this.base;
    if (!b) return;
    for (const name of b.wildcard ? b.view.keys() : b.subscribed) if (!over?.has(name) && b.view.has(name)) yield name;
  }

  /**
   * The client, which held nothing, was sent every resource of `view` in this scope, `count` of
   * them (delta.ts: a first sync, compared in full): it now holds exactly the base. Spares
   * recording each name as sent only for `rebase` to find it equal to the view and drop it.
   * `subscribed` must never change afterwards.
   */
  sentAll(view: View, wildcard: boolean, subscribed: ReadonlySet<string>, count: number): void {
    if (this.count !== 0) throw new Error(`sentAll: the client holds ${this.count} names already`);
    this.base = { view, wildcard, subscribed };
    this.over = undefined;
    this.count = count;
  }

  /**
   * Takes `view` under this scope as the base, keeping only the differences from it. Valid only
   * where the client holds exactly `view`'s resources in scope, apart from names out of scope it
   * still holds (from initial_resource_versions), which stay in `over`: right after a sync
   * compared every name that may differ and sent or removed it (delta.ts, both phases done; a
   * name leaving the scope was deleted when it left). `subscribed` must never change afterwards.
   */
  rebase(view: View, wildcard: boolean, subscribed: ReadonlySet<string>): void {
    this.base = { view, wildcard, subscribed };
    const over = this.over;
    // In step with the view (every push of a synced stream): nothing to drop.
    if (!over?.size) return;
    let differing = 0;
    for (const [name, version] of over) if (this.fromBase(name) !== version) differing++;
    // Dropped whole, not emptied entry by entry (each delete may shrink the table, an allocation).
    if (differing === 0) this.over = undefined;
    else if (differing < over.size) for (const [name, version] of over) if (this.fromBase(name) === version) over.delete(name);
  }
}
