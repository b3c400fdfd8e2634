// Reading Mast's proto3 JSON without trusting its shape: the validator reports what it can and
// leaves shapes encode.ts refuses (a string where an object belongs) to encode.ts.

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` if it is an object, else undefined. */
export function obj(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}

/** The objects of `v` if it is a list, else none. */
export function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}
