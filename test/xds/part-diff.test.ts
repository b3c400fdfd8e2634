// Delta streams look only at the names that changed in a part since they last synced (part-diff.ts).
// Checked against the plain rule: after every change, what a client holds is exactly the view,
// through random changes across three parts where names move between parts, parts empty out and
// come back, and pushes follow each other faster than the client answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TYPE_URLS } from '../../src/translate/types';
import { AdsClient, decodeAny } from '../support/ads-client';
import { cluster, partedServer } from './fake-world';

const CDS = TYPE_URLS.cluster;
const NAMES = Array.from({ length: 12 }, (_, i) => `c${i}`);

/** A small deterministic generator, so a failure replays. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('delta streams diff only what changed in a part', () => {
  // Part i holds the clusters assigned to it, each with a timeout that says its content.
  const world = partedServer('clusters');

  it('a client ends up holding exactly the view after each of 60 random changes', async () => {
    const next = random(7);
    const c = AdsClient.delta(world.address, { id: 'router~127.0.0.9~gw.test~test.svc.cluster.local' });
    const held = new Map<string, string>();
    const view = (m: ReadonlyMap<string, string>): Record<string, string> => Object.fromEntries([...m].sort());
    /**
     * Reads responses, applying each as Envoy would and ACKing it, until the client holds
     * `expected` and the stream has then been quiet for 150 ms; a response is waited for up to 5 s
     * meanwhile, so a slow machine makes the test slower, not wrong.
     */
    const drain = async (expected: ReadonlyMap<string, string>): Promise<void> => {
      for (;;) {
        let r;
        try {
          r = await c.next(JSON.stringify(view(held)) === JSON.stringify(view(expected)) ? 150 : 5000);
        } catch {
          return;
        }
        for (const res of r.resources) held.set(res.name, `${(decodeAny(res.resource!) as { connect_timeout: { seconds: string } }).connect_timeout.seconds}s`);
        for (const name of r.removed_resources) held.delete(name);
        c.send({ type_url: CDS, response_nonce: r.nonce });
      }
    };
    try {
      c.send({ type_url: CDS, resource_names_subscribe: ['*'] });
      for (let step = 0; step < 60; step++) {
        // Each name lands in one part or none, with one of three contents.
        world.parts = [[], [], []];
        for (const name of NAMES) {
          const where = Math.floor(next() * 4);
          if (where < 3) world.parts[where]!.push(cluster(name, { connect_timeout: `${1 + Math.floor(next() * 3)}s` }));
        }
        world.change();
        // Now and then a second change before the client has answered the first.
        if (next() < 0.3) {
          world.parts = world.parts.map((p) => p.filter(() => next() < 0.8));
          world.change();
        }
        const expected = new Map(world.parts.flat().map((r) => [r.name, String((r.json as { connect_timeout: string }).connect_timeout)]));
        await drain(expected);
        assert.deepEqual(view(held), view(expected), `after step ${step}`);
      }
    } finally {
      c.close();
    }
  });
});
