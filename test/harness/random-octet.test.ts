// The e2e meshes of one process never share a 10.X octet (e2e/harness/mesh.ts randomOctet): a
// server bound on one run's workload address stays bound until the file ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomOctet } from '../../e2e/harness/mesh';

test('draws each octet 1-254 once per process, then refuses', () => {
  const octets = Array.from({ length: 254 }, () => randomOctet());
  assert.equal(new Set(octets).size, 254);
  assert.ok(octets.every((o) => o >= 1 && o <= 254));
  assert.throws(() => randomOctet(), /every 10.X octet is taken/);
});
