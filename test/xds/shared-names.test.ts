import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { namesMadeFrom, sharedNames } from '../../src/xds/shared-names';

describe('sharedNames', () => {
  it('gives every stream asking for the same names, in any order, one set, and never another set', () => {
    const name = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 30 }), fc.uniqueArray(name, { minLength: 1, maxLength: 30 }), fc.nat(), (a, b, seed) => {
        const first = sharedNames(new Set(a));
        // The same names in another order.
        const shuffled = [...a].sort((x, y) => ((x.length * 31 + seed) % 7) - ((y.length * 31 + seed) % 7));
        assert.equal(sharedNames(new Set(shuffled)), first);
        const other = sharedNames(new Set(b));
        assert.deepEqual([...other].sort(), [...new Set(b)].sort(), 'whatever it returns holds exactly the names asked for');
        const same = a.length === b.length && b.every((n) => a.includes(n));
        assert.equal(other === first, same);
      }),
    );
  });
});

describe('namesMadeFrom', () => {
  it('finds a shared set only by the very request names it was made from, in their order', () => {
    const name = fc.string({ unit: 'binary', maxLength: 40 });
    let run = 0;
    /** Whatever it finds for `q` holds exactly q's names, and is the set shared for them. */
    const exact = (q: readonly string[]): ReadonlySet<string> | undefined => {
      const got = namesMadeFrom(q);
      if (got) {
        assert.deepEqual([...got].sort(), [...new Set(q)].sort());
        assert.equal(sharedNames(new Set(q)), got);
      }
      return got;
    };
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 2, maxLength: 30 }), fc.nat(), (raw, seed) => {
        // Names no earlier run made a set of.
        const names = raw.map((n) => `${run}/${n}`);
        run++;
        const made = sharedNames(new Set(names), names);
        // Another stream's request: equal names in an array of its own.
        assert.equal(exact(names.map((n) => ` ${n}`.slice(1))), made);
        const turn = 1 + (seed % (names.length - 1));
        assert.equal(exact([...names.slice(turn), ...names.slice(0, turn)]), undefined, 'the same names in another order');
        assert.equal(exact([...names.slice(1), names[names.length - 1]!]), undefined, 'as many names, one repeated');
        exact(names.slice(1));
      }),
    );
  });
});
