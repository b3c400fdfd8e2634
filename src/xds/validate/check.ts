// The shape of a compiled rule set: a function checking one value, built from tests run in
// order until the first failure, as PGV's generated C++ returns at its first error.
import type { Obj } from './json';
import type { Violation } from './violation';

/** Where a value is; rendered to a string (`a.b[0]`) only for a violation. */
export type PathLike = string | { toString(): string };

/** Checks one (normalised) value; pushes at most one violation. */
export type Check = (value: unknown, path: PathLike, out: Violation[]) => void;

type Fail = (rule: string, message: string) => void;
export type Test = (value: never, fail: Fail) => void;

/**
 * Runs `tests` in order until one fails, as the generated C++ returns at its first error. The
 * failure callback is made once per rule set, not per value: validation runs on every resource.
 */
export function sequence(kind: string, tests: Test[]): Check | undefined {
  if (tests.length === 0) return undefined;
  let hit: [string, string] | undefined;
  const fail: Fail = (rule, message) => {
    hit ??= [rule, message];
  };
  return (value, path, out) => {
    hit = undefined;
    for (const t of tests) {
      t(value as never, fail);
      if (hit) {
        out.push({ path: String(path), rule: `${kind}.${hit[0]}`, message: hit[1] });
        return;
      }
    }
  };
}

/** A rule's repeated option as a list: protobufjs gives one value bare, none as undefined. */
function asList(x: unknown): unknown[] {
  return Array.isArray(x) ? x : x === undefined ? [] : [x];
}

/**
 * The `in` / `not_in` tests of a rule set `r` (PGV templates/cc/in.go): each listed option goes
 * through `conv` to the value's own form and is compared by `key` of it (Buffers by hex, say);
 * `show` words the list in the message, as "<subject> must be in list [a b]". With both set only
 * `in` counts, as the templates' if / else-if has it. Empty when neither is set.
 */
export function inTests<T>(r: Obj, conv: (x: unknown) => T, show: (items: unknown[]) => string, key = (x: T): unknown => x, subject = 'value'): Test[] {
  const inList = asList(r.in);
  const notIn = asList(r.not_in);
  // The templates test `in` and `not_in` as if/else-if: with both set, only `in` counts.
  if (inList.length > 0) {
    const set = new Set(inList.map((x) => key(conv(x))));
    return [(v: T, fail) => (set.has(key(v)) ? undefined : fail('in', `${subject} must be in list ${show(inList)}`))];
  }
  if (notIn.length > 0) {
    const set = new Set(notIn.map((x) => key(conv(x))));
    return [(v: T, fail) => (set.has(key(v)) ? fail('not_in', `${subject} must not be in list ${show(notIn)}`) : undefined)];
  }
  return [];
}
