// Subscriptions shared between streams. A SotW sidecar asks for the endpoints of every cluster it
// was sent, by name: 1200 names on the 1000-service mesh, about 110 KB of strings and 40 KB of
// hash table per stream, the same names for every proxy of a deployment. A stream keeps the one
// read-only set of its names that every stream asking for the same names holds.
import { createHash } from 'node:crypto';

const byContent = new Map<string, WeakRef<ReadonlySet<string>>>();
const gone = new FinalizationRegistry<string>((key) => {
  if (byContent.get(key)?.deref() === undefined) byContent.delete(key);
});

function sameNames(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const n of a) if (!b.has(n)) return false;
  return true;
}

/**
 * The shared set equal to `names`: one already held by some stream, or `names` itself, which the
 * caller must then never change. Keyed by a hash of the sorted names, checked on a hit.
 */
export function sharedNames(names: ReadonlySet<string>): ReadonlySet<string> {
  if (names.size === 0) return names;
  const key = createHash('sha256').update([...names].sort().join('\n')).digest('base64url');
  const held = byContent.get(key)?.deref();
  if (held && sameNames(held, names)) return held;
  if (held) return names;
  byContent.set(key, new WeakRef(names));
  gone.register(names, key);
  return names;
}
