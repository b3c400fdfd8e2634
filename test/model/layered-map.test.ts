// LayeredMap (src/model/layered-map.ts) against a plain Map given the same changes: every read
// agrees, across the fold into a new base, and an earlier version is never changed by a later one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LayeredMap } from '../../src/model/layered-map';

const key = fc.integer({ min: 0, max: 400 }).map(String);
const batch = fc.array(fc.tuple(key, fc.option(fc.integer(), { nil: undefined })), { maxLength: 120 });

test('a layered map reads as a Map given the same changes, and keeps every earlier version', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(key, fc.integer()), { maxLength: 300 }), fc.array(batch, { maxLength: 12 }), (initial, batches) => {
      let plain = new Map(initial);
      let layered = LayeredMap.of(new Map(initial));
      const versions: [LayeredMap<string, number>, Map<string, number>][] = [[layered, new Map(plain)]];
      for (const changes of batches) {
        plain = new Map(plain);
        for (const [k, v] of changes) {
          if (v === undefined) plain.delete(k);
          else plain.set(k, v);
        }
        layered = layered.with(new Map(changes));
        versions.push([layered, plain]);
      }
      for (const [l, p] of versions) {
        assert.deepEqual([...l.keys()].sort(), [...p.keys()].sort());
        for (let k = 0; k <= 400; k++) assert.equal(l.get(String(k)), p.get(String(k)));
      }
    }),
    { numRuns: 200 },
  );
});
