// One ordering for everything translation sorts, so output never depends on input order.

/** Code-unit order: the same on every machine and locale, which localeCompare is not. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareStrings(key(a), key(b));
}
