// An object's content as one string, to tell a new version that changes nothing from one that does.
import type { MeshObject } from './types';

const fingerprintCache = new WeakMap<MeshObject, string>();

/** The object's content as canonical JSON: equal content, equal fingerprint, whatever the key order. */
export function fingerprint(object: MeshObject): string {
  let f = fingerprintCache.get(object);
  if (f === undefined) {
    f = JSON.stringify(object, (_key, value: unknown) =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : value,
    );
    fingerprintCache.set(object, f);
  }
  return f;
}
