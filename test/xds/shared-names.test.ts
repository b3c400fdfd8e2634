import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sharedNames } from '../../src/xds/shared-names';

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
