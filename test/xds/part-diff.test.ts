// Delta streams look only at the names that changed in a part since they last synced (part-diff.ts).
// Checked against the plain rule: after every change, what a client holds is exactly the view,
// through random changes across three parts where names move between parts, parts empty out and
// come back, and pushes follow each other faster than the client answers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTelemetry } from '../../src/telemetry/metrics';
import { TYPE_URLS, type NamedResource } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { XdsMetrics } from '../../src/xds/metrics';
import { XdsServer } from '../../src/xds/server';
import { AdsClient, decodeAny } from '../support/ads-client';
import { cluster, fakeSnapshot, quiet } from './fake-world';

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
  let parts: NamedResource[][] = [[], [], []];
  let generation = 1;
  // One object per generation, as the ConfigStore hands out: a new object is a new snapshot.
  let snapshot = fakeSnapshot(generation);
  const change = (): void => {
    generation++;
    snapshot = fakeSnapshot(generation);
    server.push();
  };
  const telemetry = createTelemetry();
  const views = new ViewCache(() => parts.map((_, i) => ({ name: `p${i}`, key: () => '', build: () => ({ clusters: parts[i] }) })), quiet);
  let server: XdsServer;
  let address = '';
  before(async () => {
    const metrics = new XdsMetrics(telemetry.meter, () => server.counts());
    server = new XdsServer({ views, metrics, log: quiet, snapshot: () => snapshot });
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  });
  after(async () => {
    await server.close();
    await telemetry.shutdown();
  });

  it('a client ends up holding exactly the view after each of 60 random changes', async () => {
    const next = random(7);
    const c = AdsClient.delta(address, { id: 'router~127.0.0.9~gw.test~test.svc.cluster.local' });
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
        parts = [[], [], []];
        for (const name of NAMES) {
          const where = Math.floor(next() * 4);
          if (where < 3) parts[where]!.push(cluster(name, { connect_timeout: `${1 + Math.floor(next() * 3)}s` }));
        }
        change();
        // Now and then a second change before the client has answered the first.
        if (next() < 0.3) {
          parts = parts.map((p) => p.filter(() => next() < 0.8));
          change();
        }
        const expected = new Map(parts.flat().map((r) => [r.name, String((r.json as { connect_timeout: string }).connect_timeout)]));
        await drain(expected);
        assert.deepEqual(view(held), view(expected), `after step ${step}`);
      }
    } finally {
      c.close();
    }
  });
});
