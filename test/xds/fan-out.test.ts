// A push reaches streams a slice at a time (server.ts fanOut), letting the event loop flush each
// slice's writes before the next: a later push finds the streams not yet reached where they were
// in the queue and gives them its newer view, and the streams it had reached go after them. A
// stream written meanwhile (a secrets push, its own request) is brought up to the push then, with
// the push's change time, and its turn writes nothing stale over it.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { MeshCa, WorkloadCerts, selfSignedMaterial } from '../../src/ca';
import { silentLogger } from '../../src/model/log';
import { META, nodeId } from '../../src/proxy/node';
import { SdsSecrets } from '../../src/xds/secrets';
import { TYPE_URLS } from '../../src/translate/types';
import { AdsClient, decodeAny } from '../support/ads-client';
import { rotatingState } from '../support/sds';
import { certs } from '../support/x509-chain';
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

  it('answers a queued stream\'s request with the push\'s change time, so its convergence is counted', async () => {
    const recorded: { type: string; changedAt?: number }[] = [];
    const metrics = (world.server as unknown as { opts: { metrics: { pushed: (...a: unknown[]) => void } } }).opts.metrics;
    const pushed = metrics.pushed.bind(metrics);
    metrics.pushed = (type, seconds, bytes, changedAt) => {
      recorded.push({ type: type as string, changedAt: changedAt as number | undefined });
      pushed(type, seconds, bytes, changedAt);
    };
    world.update({ clusters: [cluster('a')] });
    const N = 6;
    const clients: AdsClient[] = [];
    try {
      for (let i = 0; i < N; i++) {
        const c = AdsClient.sotw(address, node(30 + i));
        clients.push(c);
        c.send({ type_url: CDS, resource_names: [] });
        const r = await c.next();
        c.send({ type_url: CDS, resource_names: [], version_info: r.version_info, response_nonce: r.nonce });
      }
      await sleep(100);
      recorded.length = 0;
      // The last stream asks for listeners as the change is pushed (Envoy does once its clusters
      // warm): the request is read before the fan-out's slices reach that stream.
      clients[N - 1]!.send({ type_url: TYPE_URLS.listener, resource_names: [] });
      world.update({ clusters: [cluster('a'), cluster('b')] });
      await Promise.all(clients.map(async (c) => assert.deepEqual(names(await c.next()), ['a', 'b'])));
      await sleep(100);
      const cds = recorded.filter((r) => r.type === 'cds');
      assert.equal(cds.length, N, 'one CDS response per stream');
      assert.equal(cds.filter((r) => r.changedAt !== undefined).length, N, 'each carries the change time (pilot_proxy_convergence_time)');
    } finally {
      for (const c of clients) c.close();
      metrics.pushed = pushed;
    }
  });
});

describe('a sliced push and a secrets push', () => {
  const SDS = TYPE_URLS.secret;
  const SECRETS = ['default', 'ROOTCA'];
  const sidecar = (i: number) => ({ id: nodeId('sidecar', `127.0.9.${i}`, `p${i}.shop`, 'shop'), metadata: { [META.namespace]: 'shop', [META.serviceAccount]: 'cart' } });
  const text = (v: unknown): string => (Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString() : Buffer.from(String(v), 'base64').toString());
  const rootsOf = (r: { resources: { type_url: string; value: Buffer }[] }): string[] | undefined => {
    for (const a of r.resources) {
      const s = decodeAny(a) as { validation_context?: { trusted_ca: { inline_bytes: unknown } } };
      if (s.validation_context) return certs(text(s.validation_context.trusted_ca.inline_bytes)).map((c) => c.subject);
    }
    return undefined;
  };

  it('a bundle change between slices is not undone by the streams\' turns', async () => {
    const ca = new MeshCa({ trustDomain: 'cluster.local', log: silentLogger });
    // The signer moves at 300 ms; the old root leaves the bundle at 900 ms (a bundle-only change).
    ca.use(await selfSignedMaterial(await rotatingState(300, 900), 'test'));
    const workloadCerts = new WorkloadCerts(ca, { log: silentLogger });
    let world!: FakeWorld;
    // A config push in the same tick as the bundle change, just before SdsSecrets hears of it
    // (listeners run in the order they were added): its slices span the secrets push.
    ca.onChange((change) => {
      if (change.bundle && !change.signer) world.update({ clusters: [cluster('a'), cluster('b')] });
    });
    const secrets = new SdsSecrets(ca, workloadCerts, silentLogger);
    world = new FakeWorld(quiet, secrets, undefined, { ms: 0, minStreams: 1 });
    world.update({ clusters: [cluster('a')] });
    const address = await world.start();
    const clients: AdsClient[] = [];
    const last: (string[] | undefined)[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const c = AdsClient.sotw(address, sidecar(i));
        clients.push(c);
        c.send({ type_url: SDS, resource_names: SECRETS });
        const r = await c.next();
        last[i] = rootsOf(r);
        c.send({ type_url: SDS, resource_names: SECRETS, version_info: r.version_info, response_nonce: r.nonce });
      }
      // Every SDS response until the rotation is over and the pushes have settled.
      const deadline = Date.now() + 2500;
      await Promise.all(clients.map(async (c, i) => {
        for (;;) {
          const left = deadline - Date.now();
          if (left <= 0) return;
          const r = await c.next(left).catch(() => undefined);
          if (!r) return;
          last[i] = rootsOf(r) ?? last[i];
          c.send({ type_url: SDS, resource_names: SECRETS, version_info: r.version_info, response_nonce: r.nonce });
        }
      }));
      const now = ca.bundle.map((c) => c.subject);
      assert.equal(now.length, 1, 'the rotation is over: one root');
      assert.deepEqual(last, Array(4).fill(now), 'every proxy ends with the bundle as it is');
    } finally {
      for (const c of clients) c.close();
      await world.stop();
      workloadCerts.close();
      ca.close();
    }
  });
});
