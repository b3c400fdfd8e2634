// A push reaches streams a slice at a time (server.ts fanOut), letting the event loop flush each
// slice's writes before the next: a later push finds the streams not yet reached where they were
// in the queue and gives them its newer view, and the streams it had reached go after them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TYPE_URLS } from '../../src/translate/types';
import { AdsClient, decodeAny } from '../support/ads-client';
import { FakeWorld, cluster, quiet } from './fake-world';

const CDS = TYPE_URLS.cluster;
const node = (i: number) => ({ id: `router~127.0.0.${20 + i}~gw-${i}.test~test.svc.cluster.local` });
const names = (r: { resources: { type_url: string; value: Buffer }[] }): string[] => r.resources.map((a) => String(decodeAny(a).name));

describe('a push goes out in slices', () => {
  let world: FakeWorld;
  let address: string;
  before(async () => {
    // Two streams a slice, however fast: the test sees the slices without timing anything.
    world = new FakeWorld(quiet, undefined, undefined, { ms: 0, minStreams: 2 });
    address = await world.start();
  });
  after(() => world.stop());

  it('reaches two streams now and the rest in turn; a newer push keeps their places, so none gets the superseded view', async () => {
    world.update({ clusters: [cluster('a')] });
    const clients: AdsClient[] = [];
    try {
      // One at a time, so the streams open (and are queued) in this order.
      for (let i = 0; i < 6; i++) {
        const c = AdsClient.sotw(address, node(i));
        clients.push(c);
        c.send({ type_url: CDS, resource_names: [] });
        const r = await c.next();
        c.send({ type_url: CDS, resource_names: [], version_info: r.version_info, response_nonce: r.nonce });
      }
      const generations = (): number[] => world.server.status().map((s) => s.generation);
      const g1 = world.generation;
      assert.deepEqual(generations(), Array(6).fill(g1));

      world.update({ clusters: [cluster('a'), cluster('b')] });
      const g2 = world.generation;
      assert.deepEqual(generations(), [g2, g2, g1, g1, g1, g1], 'the first slice only, before the event loop runs');

      world.update({ clusters: [cluster('a'), cluster('b'), cluster('c')] });
      const g3 = world.generation;
      assert.deepEqual(generations(), [g2, g2, g3, g3, g1, g1], 'the next push goes on from the third stream, with its own view');

      const seen = await Promise.all(clients.map(async (c, i) => {
        const got = [names(await c.next())];
        if (i < 2) got.push(names(await c.next()));
        await c.none(100);
        return got;
      }));
      assert.deepEqual(seen.slice(0, 2), [[['a', 'b'], ['a', 'b', 'c']], [['a', 'b'], ['a', 'b', 'c']]], 'the first two get both pushes, in order');
      assert.deepEqual(seen.slice(2), Array(4).fill([['a', 'b', 'c']]), 'the others only the newest');
      assert.deepEqual(generations(), Array(6).fill(g3));
    } finally {
      for (const c of clients) c.close();
    }
  });
});
