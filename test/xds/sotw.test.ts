import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TYPE_URLS } from '../../src/translate/types';
import { AdsClient, decodeAny } from '../support/ads-client';
import { FakeWorld, cluster, endpoints, listener, route } from './fake-world';

const NODE = { id: 'router~127.0.0.9~gw.test~test.svc.cluster.local' };
const CDS = TYPE_URLS.cluster;
const EDS = TYPE_URLS.endpoint;
const LDS = TYPE_URLS.listener;
const RDS = TYPE_URLS.route;

function names(r: { resources: { type_url: string; value: Buffer }[] }): string[] {
  return r.resources.map((a) => {
    const o = decodeAny(a);
    return String(o.name ?? o.cluster_name);
  });
}

describe('SotW ADS protocol', () => {
  let world: FakeWorld;
  let address: string;
  before(async () => {
    world = new FakeWorld();
    address = await world.start();
  });
  after(() => world.stop());

  it('answers a wildcard request with full state, ignores ACKs, and sends changes', async () => {
    world.update({ clusters: [cluster('a'), cluster('b')] });
    const c = AdsClient.sotw(address, NODE);
    try {
      c.send({ type_url: CDS, resource_names: [] });
      const r1 = await c.next();
      assert.deepEqual(names(r1), ['a', 'b']);
      c.send({ type_url: CDS, resource_names: [], version_info: r1.version_info, response_nonce: r1.nonce });
      await c.none();
      world.update({ clusters: [cluster('a')] });
      const r2 = await c.next();
      assert.deepEqual(names(r2), ['a'], 'LDS/CDS in SotW are full state: b is deleted by omission');
      assert.notEqual(r2.version_info, r1.version_info);
      assert.notEqual(r2.nonce, r1.nonce);
      c.send({ type_url: CDS, resource_names: [], version_info: r2.version_info, response_nonce: r2.nonce });
      // An unchanged model after a push sends nothing.
      world.update({});
      await c.none();
    } finally {
      c.close();
    }
  });

  it('sends a change only to the proxies whose view it changes', async () => {
    world.update({ clusters: [cluster('a')] });
    // Proxies in namespace 'canary' also get cluster 'extra' while `extra` is on.
    let extra = false;
    world.perProxy = (proxy, set) => (proxy.namespace === 'canary' && extra ? { ...set, clusters: [...set.clusters, cluster('extra')] } : set);
    const stable = AdsClient.sotw(address, NODE);
    const canary = AdsClient.sotw(address, { id: 'router~127.0.0.10~gw.canary~canary.svc.cluster.local' });
    try {
      for (const c of [stable, canary]) {
        c.send({ type_url: CDS, resource_names: [] });
        const r = await c.next();
        c.send({ type_url: CDS, resource_names: [], version_info: r.version_info, response_nonce: r.nonce });
      }
      extra = true;
      world.update({});
      assert.deepEqual(names(await canary.next()), ['a', 'extra']);
      await stable.none();
    } finally {
      world.perProxy = undefined;
      stable.close();
      canary.close();
    }
  });

  it("joins a view of several parts, and sends a change to one proxy's own part to that proxy only", async () => {
    let own = 'own-0';
    // Set before the update: views are a function of the snapshot, cached until the next one.
    world.own = (proxy) => (proxy.namespace === 'canary' ? { clusters: [cluster(own)] } : {});
    world.update({ clusters: [cluster('a'), cluster('b')] });
    const stable = AdsClient.sotw(address, NODE);
    const canary = AdsClient.sotw(address, { id: 'router~127.0.0.10~gw.canary~canary.svc.cluster.local' });
    // ACKs responses until one holds `expected`; a removed cluster may come in one first, kept
    // until nothing names it.
    const ack = async (c: ReturnType<typeof AdsClient.sotw>, expected: string[]) => {
      for (let seen = 0; ; seen++) {
        const r = await c.next();
        c.send({ type_url: CDS, resource_names: [], version_info: r.version_info, response_nonce: r.nonce });
        if (names(r).join() === expected.join()) return;
        assert.ok(seen < 2, `expected ${expected.join()}, got ${names(r).join()}`);
      }
    };
    try {
      stable.send({ type_url: CDS, resource_names: [] });
      canary.send({ type_url: CDS, resource_names: [] });
      await ack(stable, ['a', 'b']);
      await ack(canary, ['a', 'b', 'own-0']);
      own = 'own-1';
      world.update({});
      await ack(canary, ['a', 'b', 'own-1']);
      await stable.none();
      world.update({ clusters: [cluster('a')] });
      await ack(stable, ['a']);
      await ack(canary, ['a', 'own-1']);
    } finally {
      world.own = undefined;
      stable.close();
      canary.close();
    }
  });

  it('ignores a request carrying a stale nonce', async () => {
    world.update({ clusters: [cluster('a')] });
    const c = AdsClient.sotw(address, NODE);
    try {
      c.send({ type_url: CDS, resource_names: [] });
      const r1 = await c.next();
      world.update({ clusters: [cluster('a'), cluster('c')] });
      const r2 = await c.next();
      // The client answers r1 after r2 was sent: stale, so it is neither ACK nor new subscription.
      c.send({ type_url: CDS, resource_names: [], version_info: r1.version_info, response_nonce: r1.nonce });
      await c.none();
      const st = world.server.status().find((s) => s.proxyId === NODE.id)!.types.find((t) => t.type === 'cds')!;
      assert.equal(st.ackedVersion, undefined);
      c.send({ type_url: CDS, resource_names: [], version_info: r2.version_info, response_nonce: r2.nonce });
      await c.none();
    } finally {
      c.close();
    }
  });

  it('records a NACK with its message, keeps the client on its version, and recovers', async () => {
    world.update({ clusters: [cluster('a')] });
    const c = AdsClient.sotw(address, NODE);
    try {
      c.send({ type_url: CDS, resource_names: [] });
      const r1 = await c.next();
      c.send({ type_url: CDS, resource_names: [], version_info: r1.version_info, response_nonce: r1.nonce });
      await c.none(100);
      world.update({ clusters: [cluster('a', { connect_timeout: '2s' })] });
      const r2 = await c.next();
      c.send({ type_url: CDS, resource_names: [], version_info: r1.version_info, response_nonce: r2.nonce, error_detail: { code: 3, message: 'bad cluster a' } });
      await c.none();
      const st = world.server.status().find((s) => s.proxyId === NODE.id)!.types.find((t) => t.type === 'cds')!;
      assert.equal(st.lastNack?.message, 'bad cluster a');
      assert.equal(st.lastNack?.version, r2.version_info);
      assert.equal(st.ackedVersion, r1.version_info);
      world.update({ clusters: [cluster('a', { connect_timeout: '3s' })] });
      const r3 = await c.next();
      c.send({ type_url: CDS, resource_names: [], version_info: r3.version_info, response_nonce: r3.nonce });
      await c.none();
      const after = world.server.status().find((s) => s.proxyId === NODE.id)!.types.find((t) => t.type === 'cds')!;
      assert.equal(after.ackedVersion, r3.version_info);
    } finally {
      c.close();
    }
  });

  it('remembers names that do not exist yet and sends newly requested names', async () => {
    world.update({ clusters: [cluster('a')], endpoints: [endpoints('a', 1)] });
    const c = AdsClient.sotw(address, NODE);
    try {
      c.send({ type_url: EDS, resource_names: ['a', 'later'] });
      const r1 = await c.next();
      assert.deepEqual(names(r1), ['a']);
      c.send({ type_url: EDS, resource_names: ['a', 'later'], version_info: r1.version_info, response_nonce: r1.nonce });
      await c.none();
      world.update({ endpoints: [endpoints('a', 1), endpoints('later', 2)] });
      const r2 = await c.next();
      assert.deepEqual(names(r2), ['later'], 'EDS carries what changed: a is unchanged and held');
      c.send({ type_url: EDS, resource_names: ['a'], version_info: r2.version_info, response_nonce: r2.nonce });
      const r3 = await c.next();
      assert.deepEqual(names(r3), [], 'an unsubscribe changes the set, so it is answered, with nothing new to carry');
      assert.notEqual(r3.version_info, r2.version_info, 'the version names the smaller set the proxy now holds');
      c.send({ type_url: EDS, resource_names: ['a', 'later'], version_info: r3.version_info, response_nonce: r3.nonce });
      const r4 = await c.next();
      assert.deepEqual(names(r4), ['later'], 're-requested names are sent again');
      assert.equal(r4.version_info, r2.version_info, 'the same set held, the same version');
    } finally {
      c.close();
    }
  });

  it('sends RDS changes alone: a route config left out is kept, not deleted', async () => {
    world.update({ routes: [route('r1', 'a'), route('r2', 'a')] });
    const c = AdsClient.sotw(address, NODE);
    try {
      c.send({ type_url: RDS, resource_names: ['r1', 'r2'] });
      const r1 = await c.next();
      assert.deepEqual(names(r1), ['r1', 'r2']);
      c.send({ type_url: RDS, resource_names: ['r1', 'r2'], version_info: r1.version_info, response_nonce: r1.nonce });
      world.update({ routes: [route('r1', 'a'), route('r2', 'b')] });
      const r2 = await c.next();
      assert.deepEqual(names(r2), ['r2']);
      assert.notEqual(r2.version_info, r1.version_info);
    } finally {
      c.close();
    }
  });

  it('pushes CDS, EDS, LDS, RDS in order, re-sends EDS for changed clusters, and removes clusters last', async () => {
    world.update({ clusters: [cluster('a'), cluster('b')], endpoints: [endpoints('a', 1), endpoints('b', 2)], listeners: [listener('l', 9000, 'r')], routes: [route('r', 'a')] });
    const c = AdsClient.sotw(address, NODE);
    try {
      const ack = (r: { version_info: string; nonce: string; type_url: string }, resource_names: string[] = []) =>
        c.send({ type_url: r.type_url, resource_names, version_info: r.version_info, response_nonce: r.nonce });
      c.send({ type_url: CDS, resource_names: [] });
      ack(await c.next());
      c.send({ type_url: EDS, resource_names: ['a', 'b'] });
      ack(await c.next(), ['a', 'b']);
      c.send({ type_url: LDS, resource_names: [] });
      ack(await c.next());
      c.send({ type_url: RDS, resource_names: ['r'] });
      ack(await c.next(), ['r']);
      await c.none();

      // Cluster a changes (endpoints do not), the route moves to b, a is then removed.
      world.update({ clusters: [cluster('a', { connect_timeout: '5s' }), cluster('b')] });
      const cds = await c.next();
      assert.equal(cds.type_url, CDS);
      const eds = await c.next();
      assert.equal(eds.type_url, EDS, 'a changed cluster warms only on a new EDS response');
      assert.deepEqual(names(eds), ['a'], 'it carries the changed cluster, whose endpoints are unchanged');
      ack(cds);
      ack(eds, ['a', 'b']);
      await c.none();

      world.update({ clusters: [cluster('b')], endpoints: [endpoints('b', 2)], routes: [route('r', 'b')] });
      const order: string[] = [];
      const seen: { type_url: string; resources: { type_url: string; value: Buffer }[] }[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await c.next();
        order.push(r.type_url);
        seen.push(r);
      }
      // The client already holds a and b, so the first CDS (b plus the retained a) is not resent.
      assert.deepEqual(order, [EDS, RDS, CDS], 'cluster a is removed only after the route stops naming it');
      assert.deepEqual(names(seen[1]!), ['r']);
      assert.deepEqual(names(seen[2]!), ['b']);
      await c.none();
    } finally {
      c.close();
    }
  });

  it('holds routes to a new cluster until its endpoints have gone out', async () => {
    world.update({ clusters: [cluster('a')], endpoints: [endpoints('a', 1)], listeners: [listener('l', 9000, 'r')], routes: [route('r', 'a')] });
    const c = AdsClient.sotw(address, NODE);
    try {
      const ack = (r: { version_info: string; nonce: string; type_url: string }, resource_names: string[] = []) =>
        c.send({ type_url: r.type_url, resource_names, version_info: r.version_info, response_nonce: r.nonce });
      c.send({ type_url: CDS, resource_names: [] });
      ack(await c.next());
      c.send({ type_url: EDS, resource_names: ['a'] });
      ack(await c.next(), ['a']);
      c.send({ type_url: LDS, resource_names: [] });
      ack(await c.next());
      c.send({ type_url: RDS, resource_names: ['r'] });
      ack(await c.next(), ['r']);
      await c.none();

      world.update({ clusters: [cluster('a'), cluster('n')], endpoints: [endpoints('a', 1), endpoints('n', 3)], routes: [route('r', 'n')] });
      const cds = await c.next();
      assert.equal(cds.type_url, CDS);
      assert.deepEqual(names(cds), ['a', 'n']);
      // Envoy would answer the route with 503 while n warms, so the route waits for n's endpoints.
      await c.none();
      ack(cds);
      c.send({ type_url: EDS, resource_names: ['a', 'n'], version_info: '', response_nonce: '' });
      const eds = await c.next();
      assert.equal(eds.type_url, EDS);
      assert.deepEqual(names(eds), ['n'], 'the newly requested name');
      const rds = await c.next();
      assert.equal(rds.type_url, RDS, 'the route follows once the endpoints are out');
      assert.deepEqual(names(rds), ['r']);
    } finally {
      c.close();
    }
  });
});
