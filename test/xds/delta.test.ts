import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TYPE_URLS } from '../../src/translate/types';
import { AdsClient } from '../support/ads-client';
import { FakeWorld, cluster, endpoints, listener, route } from './fake-world';

const NODE = { id: 'router~127.0.0.9~gw.test~test.svc.cluster.local' };
const CDS = TYPE_URLS.cluster;
const EDS = TYPE_URLS.endpoint;
const LDS = TYPE_URLS.listener;
const RDS = TYPE_URLS.route;

type DeltaResp = { resources: { name: string; version: string }[]; removed_resources: string[]; nonce: string; type_url: string };
const sent = (r: DeltaResp) => r.resources.map((x) => x.name);

describe('delta ADS protocol', () => {
  let world: FakeWorld;
  let address: string;
  before(async () => {
    world = new FakeWorld();
    address = await world.start();
  });
  after(() => world.stop());

  it('sends everything on a wildcard subscribe, then only changes and removals', async () => {
    world.update({ clusters: [cluster('a'), cluster('b')] });
    const c = AdsClient.delta(address, NODE);
    try {
      c.send({ type_url: CDS, resource_names_subscribe: ['*'] });
      const r1 = await c.next();
      assert.deepEqual(sent(r1), ['a', 'b']);
      c.send({ type_url: CDS, response_nonce: r1.nonce });
      await c.none();
      world.update({ clusters: [cluster('a', { connect_timeout: '2s' }), cluster('c')] });
      const r2 = await c.next();
      assert.deepEqual(sent(r2), ['a', 'c'], 'unchanged b is not resent');
      assert.deepEqual(r2.removed_resources, []);
      const r3 = await c.next();
      assert.deepEqual(sent(r3), [], 'removals follow the updates');
      assert.deepEqual(r3.removed_resources, ['b']);
      c.send({ type_url: CDS, response_nonce: r3.nonce });
      await c.none();
    } finally {
      c.close();
    }
  });

  it('on reconnect sends only what differs from initial_resource_versions, and removals', async () => {
    world.update({ clusters: [cluster('a'), cluster('b')] });
    const first = AdsClient.delta(address, NODE);
    const r1 = await (async () => {
      first.send({ type_url: CDS, resource_names_subscribe: ['*'] });
      return first.next();
    })();
    first.close();
    const versions = Object.fromEntries(r1.resources.map((r) => [r.name, r.version]));
    world.update({ clusters: [cluster('a'), cluster('c')] });
    const again = AdsClient.delta(address, NODE);
    try {
      again.send({ type_url: CDS, resource_names_subscribe: ['*'], initial_resource_versions: versions });
      const r2 = await again.next();
      assert.deepEqual(sent(r2), ['c'], 'a is unchanged and the client has it');
      const r3 = await again.next();
      assert.deepEqual(r3.removed_resources, ['b'], 'b was deleted while the client was away');
    } finally {
      again.close();
    }
  });

  it('honours explicit subscriptions, never reports a name that never existed as removed, and answers an unsubscribe still covered by *', async () => {
    world.update({ endpoints: [endpoints('a', 1), endpoints('b', 2)] });
    const c = AdsClient.delta(address, NODE);
    try {
      c.send({ type_url: EDS, resource_names_subscribe: ['a', 'ghost'] });
      const r1 = await c.next();
      assert.deepEqual(sent(r1), ['a']);
      assert.deepEqual(r1.removed_resources, []);
      c.send({ type_url: EDS, response_nonce: r1.nonce, resource_names_subscribe: ['*'] });
      const r2 = await c.next();
      assert.deepEqual(sent(r2), ['b']);
      c.send({ type_url: EDS, response_nonce: r2.nonce, resource_names_unsubscribe: ['a'] });
      const r3 = await c.next();
      assert.deepEqual(sent(r3), ['a'], 'a is still covered by the wildcard, so its state is sent again');
      c.send({ type_url: EDS, response_nonce: r3.nonce });
      await c.none();
    } finally {
      c.close();
    }
  });

  it('honours subscriptions even on a stale nonce, and records NACKs', async () => {
    world.update({ endpoints: [endpoints('a', 1), endpoints('b', 2)] });
    const c = AdsClient.delta(address, NODE);
    try {
      c.send({ type_url: EDS, resource_names_subscribe: ['a'] });
      const r1 = await c.next();
      c.send({ type_url: EDS, response_nonce: 'not-a-nonce-we-sent', resource_names_subscribe: ['b'] });
      const r2 = await c.next();
      assert.deepEqual(sent(r2), ['b']);
      c.send({ type_url: EDS, response_nonce: r2.nonce, error_detail: { code: 3, message: 'no thanks' } });
      await c.none();
      const st = world.server.status().find((s) => s.transport === 'delta')!.types.find((t) => t.type === 'eds')!;
      assert.equal(st.lastNack?.message, 'no thanks');
      assert.ok(r1.nonce !== r2.nonce);
    } finally {
      c.close();
    }
  });

  it('pushes in order and removes clusters only after routes moved', async () => {
    world.update({ clusters: [cluster('a'), cluster('b')], endpoints: [endpoints('a', 1), endpoints('b', 2)], listeners: [listener('l', 9000, 'r')], routes: [route('r', 'a')] });
    const c = AdsClient.delta(address, NODE);
    try {
      c.send({ type_url: CDS, resource_names_subscribe: ['*'] });
      c.send({ type_url: LDS, resource_names_subscribe: ['*'] });
      const initial = [await c.next(), await c.next()];
      c.send({ type_url: EDS, resource_names_subscribe: ['a', 'b'] });
      c.send({ type_url: RDS, resource_names_subscribe: ['r'] });
      initial.push(await c.next(), await c.next());
      for (const r of initial) c.send({ type_url: r.type_url, response_nonce: r.nonce });
      await c.none();

      world.update({ clusters: [cluster('b'), cluster('n')], endpoints: [endpoints('b', 2), endpoints('n', 3)], routes: [route('r', 'n')] });
      const cds = await c.next();
      assert.equal(cds.type_url, CDS);
      assert.deepEqual(sent(cds), ['n']);
      assert.deepEqual(cds.removed_resources, [], 'a is not removed before the route moves');
      // The route waits while cluster n warms for want of endpoints.
      await c.none();

      c.send({ type_url: CDS, response_nonce: cds.nonce });
      c.send({ type_url: EDS, resource_names_subscribe: ['n'] });
      const got: DeltaResp[] = [];
      for (let i = 0; i < 4; i++) got.push(await c.next());
      assert.deepEqual(got.map((r) => r.type_url), [EDS, RDS, CDS, EDS], "n's endpoints, then the route, then removals top-down");
      assert.deepEqual(sent(got[0]!), ['n']);
      assert.deepEqual(sent(got[1]!), ['r']);
      assert.deepEqual(got[2]!.removed_resources, ['a']);
      assert.deepEqual(got[3]!.removed_resources, ['a']);
      await c.none();
    } finally {
      c.close();
    }
  });

  it('re-sends the endpoints of a changed cluster even when they did not change (warming)', async () => {
    world.update({ clusters: [cluster('a')], endpoints: [endpoints('a', 1)], listeners: [], routes: [] });
    const c = AdsClient.delta(address, NODE);
    try {
      c.send({ type_url: CDS, resource_names_subscribe: ['*'] });
      const r1 = await c.next();
      c.send({ type_url: CDS, response_nonce: r1.nonce });
      c.send({ type_url: EDS, resource_names_subscribe: ['a'] });
      const r2 = await c.next();
      c.send({ type_url: EDS, response_nonce: r2.nonce });
      await c.none();

      world.update({ clusters: [cluster('a', { connect_timeout: '9s' })] });
      const cds = await c.next();
      assert.deepEqual([cds.type_url, sent(cds)], [CDS, ['a']]);
      const eds = await c.next();
      assert.deepEqual([eds.type_url, sent(eds)], [EDS, ['a']], 'Envoy keeps a changed cluster warming until a new EDS response');
    } finally {
      c.close();
    }
  });
});
