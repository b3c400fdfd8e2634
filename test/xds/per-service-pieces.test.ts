// A change costs what it touches (issue 10, item 3): the services and endpoints parts are built
// per service (parts.ts `members`, xds/member-pieces.ts), so an endpoint change builds one
// service's cluster and ClusterLoadAssignment again, names exactly that CLA to delta streams, and
// leaves every other member, part and byte as it was. Each view must still equal a translation
// from scratch: the pieces are the same config, built differently.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigStore } from '../../src/model';
import { partsFor } from '../../src/translate';
import type { TranslationPart } from '../../src/translate/parts';
import { TYPE_URLS, type ProxyClass, type ProxyRole } from '../../src/translate/types';
import { ViewCache, type ProxyView } from '../../src/xds/cache';
import { namesChangedSince, partsOf } from '../../src/xds/part-diff';
import { AdsClient } from '../support/ads-client';
import { quiet } from './fake-world';
import { SERVICES, cla, host, mesh, meshServer, podYaml, put, serviceYaml } from './service-mesh';

const sidecar = (n: number): ProxyClass => ({ role: 'sidecar', namespace: 'default', labels: { app: 'client' }, ips: [`10.9.0.${n}`], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.0.1' });

/** The real parts, counting every build: `PART whole` for a part built whole, `PART HOST` for one member. */
function counted(builds: Map<string, number>): (role: ProxyRole) => readonly TranslationPart[] {
  const count = (what: string) => builds.set(what, (builds.get(what) ?? 0) + 1);
  const wrap = (part: TranslationPart): TranslationPart => ({
    name: part.name,
    key: (p, s) => part.key(p, s),
    build: (s, p) => (count(`${part.name} whole`), part.build(s, p)),
    ...(part.members && {
      members: (s, p) => part.members!(s, p)?.map((m) => ({ key: m.key, build: (ms) => (count(`${part.name} ${m.key}`), m.build(ms)) })),
    }),
  });
  const sidecars = partsFor('sidecar').map(wrap);
  const routers = partsFor('router').map(wrap);
  return (role) => (role === 'router' ? routers : sidecars);
}

/** Every proxy's view on the store's snapshot, from `views`. */
function viewsOf(views: ViewCache, store: ConfigStore, proxies: ProxyClass[]): ProxyView[] {
  views.setSnapshot(store.snapshot());
  return proxies.map((p) => views.viewFor(p));
}

/** What a cache that never saw an earlier snapshot makes of the store's snapshot. */
function fresh(store: ConfigStore, proxy: ProxyClass): unknown {
  const views = new ViewCache((p) => partsFor(p.role), quiet);
  views.setSnapshot(store.snapshot());
  return views.viewFor(proxy).json();
}

const EDS = TYPE_URLS.endpoint;
const CDS = TYPE_URLS.cluster;
const changed = (from: ProxyView, to: ProxyView, typeUrl: string) => [...(namesChangedSince(partsOf(from.resources.get(typeUrl as never)!), to.resources.get(typeUrl as never)!) ?? ['(a full comparison)'])].sort();

describe('services and endpoints built per service', () => {
  it('an endpoint change builds one service\'s cluster and CLA again, and nothing else', () => {
    const store = mesh();
    const builds = new Map<string, number>();
    const views = new ViewCache((p) => counted(builds)(p.role), quiet);
    const proxies = [sidecar(1), sidecar(2), sidecar(3)];
    const first = viewsOf(views, store, proxies);
    assert.equal(builds.get(`endpoints ${host(7)}`), 1, 'proxies of one deployment share the endpoints piece');
    assert.equal(builds.get('services whole') ?? 0, 0, 'the services part is built by members');
    builds.clear();

    put(store, 'svc-7.yaml', serviceYaml(7, ['10.8.7.1', '10.8.7.2']));
    const second = viewsOf(views, store, proxies);
    assert.deepEqual(Object.fromEntries(builds), { [`services ${host(7)}`]: 1, [`endpoints ${host(7)}`]: 1 });
    for (const [k, view] of second.entries()) {
      assert.deepEqual(changed(first[k]!, view, EDS), [cla(7)], 'delta streams are told of that CLA alone');
      assert.deepEqual(changed(first[k]!, view, CDS), [], 'the rebuilt cluster is byte for byte the one sent');
      // Nothing new per proxy where nothing changed: 2000 sidecars each made new maps per push,
      // which lived long enough to reach V8's old space (BENCHMARKS.md, churn memory).
      for (const [typeUrl, map] of view.resources) if (typeUrl !== EDS) assert.equal(map, first[k]!.resources.get(typeUrl), `${typeUrl}: the last view's map`);
      assert.deepEqual(view.json(), fresh(store, proxies[k]!));
    }
    const addresses = JSON.stringify(second[0]!.json().endpoints?.find((e) => e.name === cla(7))?.json);
    assert.match(addresses, /10\.8\.7\.1/);
    assert.doesNotMatch(addresses, /10\.7\.7\.1/);
  });

  it('a Pod change builds again only the services whose slices name it', () => {
    const store = mesh();
    const builds = new Map<string, number>();
    const views = new ViewCache((p) => counted(builds)(p.role), quiet);
    const proxies = [sidecar(1)];
    const first = viewsOf(views, store, proxies);
    builds.clear();
    // Auto-mTLS reads the label: the endpoint now carries the metadata that picks mTLS.
    put(store, 'pod.yaml', podYaml('svc-3-0', '10.7.3.1', 'app: svc-3, security.istio.io/tlsMode: istio'));
    const [second] = viewsOf(views, store, proxies);
    const members = [...builds.keys()].filter((k) => !k.endsWith(' whole')).sort();
    assert.deepEqual(members, [`endpoints ${host(3)}`, `services ${host(3)}`]);
    assert.deepEqual(changed(first[0]!, second!, EDS), [cla(3)], 'the endpoint\'s metadata changed');
    assert.deepEqual(second!.json(), fresh(store, proxies[0]!));
  });

  it('a new Service works the list out again and builds every member, as the same config', () => {
    const store = mesh();
    const builds = new Map<string, number>();
    const views = new ViewCache((p) => counted(builds)(p.role), quiet);
    const proxies = [sidecar(1)];
    const first = viewsOf(views, store, proxies);
    builds.clear();
    put(store, 'svc-99.yaml', serviceYaml(99, ['10.7.99.1']));
    const [second] = viewsOf(views, store, proxies);
    assert.equal(builds.get(`endpoints ${host(0)}`), 1);
    assert.deepEqual(changed(first[0]!, second!, EDS), [cla(99)], 'only the new CLA differs');
    assert.deepEqual(second!.json(), fresh(store, proxies[0]!));
    builds.clear();
    put(store, 'svc-99.yaml', '');
    const [third] = viewsOf(views, store, proxies);
    assert.deepEqual(changed(second!, third!, EDS), [cla(99)], 'and its removal');
    assert.deepEqual(third!.json(), fresh(store, proxies[0]!));
  });
});

describe('per-service pieces through random changes', () => {
  /** A small deterministic generator, so a failure replays. */
  function random(seed: number): () => number {
    let x = seed;
    return () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
  }
  const rule = (i: number) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc-${i}, namespace: default}
spec: {host: svc-${i}, subsets: [{name: v1, labels: {version: v1}}]}`;

  it('after each of 40 changes, a view equals a fresh translation and a holder of the last one applying the changed names holds it', () => {
    const store = mesh();
    const views = new ViewCache((p) => partsFor(p.role), quiet);
    const proxy = sidecar(1);
    const next = random(11);
    const pick = () => Math.floor(next() * SERVICES);
    let view = viewsOf(views, store, [proxy])[0]!;
    const held = new Map([CDS, EDS].map((t) => [t, new Map(view.resources.get(t as never)!)]));
    for (let step = 0; step < 40; step++) {
      const i = pick();
      const roll = next();
      if (roll < 0.5) put(store, `svc-${i}.yaml`, serviceYaml(i, [`10.6.${step}.1`, ...(next() < 0.5 ? [`10.6.${step}.2`] : [])]));
      else if (roll < 0.65) put(store, 'pod.yaml', podYaml(`svc-${i}-0`, `10.6.${step - 1}.1`, `app: svc-${i}, version: v${step % 2 ? 1 : 2}`));
      else if (roll < 0.8) put(store, `extra.yaml`, next() < 0.5 ? serviceYaml(SERVICES + i, [`10.5.${i}.1`]) : '');
      else put(store, 'rule.yaml', next() < 0.5 ? rule(i) : '');
      const before = view;
      view = viewsOf(views, store, [proxy])[0]!;
      assert.deepEqual(view.json(), fresh(store, proxy), `step ${step}`);
      for (const typeUrl of [CDS, EDS]) {
        const now = view.resources.get(typeUrl as never)!;
        const mine = held.get(typeUrl)!;
        const names = namesChangedSince(partsOf(before.resources.get(typeUrl as never)!), now) ?? new Set([...mine.keys(), ...now.keys()]);
        for (const name of names) {
          const r = now.get(name);
          if (r) mine.set(name, r);
          else mine.delete(name);
        }
        assert.deepEqual(new Map([...mine].sort()), new Map([...now].sort()), `step ${step}: ${typeUrl}`);
      }
    }
  });
});

describe('a delta stream after an endpoint change', () => {
  const world = meshServer();
  const { store } = world;

  it('is sent exactly that ClusterLoadAssignment', async () => {
    const c = AdsClient.delta(world.address, { id: 'sidecar~10.9.0.1~client-0.default~default.svc.cluster.local' });
    try {
      c.send({ type_url: EDS, resource_names_subscribe: ['*'] });
      const r1 = await c.next();
      assert.equal(r1.resources.length, SERVICES, 'every CLA at first');
      c.send({ type_url: EDS, response_nonce: r1.nonce });
      await c.none();
      put(store, 'svc-12.yaml', serviceYaml(12, ['10.8.12.1']));
      world.push();
      const r2 = await c.next();
      assert.deepEqual(r2.resources.map((r: { name: string }) => r.name), [cla(12)]);
      assert.deepEqual(r2.removed_resources, []);
      c.send({ type_url: EDS, response_nonce: r2.nonce });
      await c.none();
    } finally {
      c.close();
    }
  });
});
