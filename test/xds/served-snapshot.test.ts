// Requests are answered from the last push's snapshot (server.ts `served`), as istiod answers them
// from a proxy's LastPushContext: a change made but not yet pushed (the debounce is running)
// reaches no proxy through a request, a reconnect or a Fetch; it reaches them all with its push.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { DiscoveryResponse__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryResponse';
import { serviceDefinitions } from '../../src/envoy-api/protos';
import { TYPE_URLS } from '../../src/translate/types';
import { AdsClient, decodeAny } from '../support/ads-client';
import { FakeWorld, cluster, endpoints } from './fake-world';

const NODE = { id: 'router~127.0.0.9~gw.test~test.svc.cluster.local' };
const CDS = TYPE_URLS.cluster;
const EDS = TYPE_URLS.endpoint;

type Any = { type_url: string; value: Buffer };
const ports = (r: { resources: Any[] }): number[] =>
  r.resources.map((a) => Number((decodeAny(a) as { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { port_value: number } } } }[] }[] }).endpoints[0]!.lb_endpoints[0]!.endpoint.address.socket_address.port_value));
const names = (r: { resources: Any[] }): string[] => r.resources.map((a) => String(decodeAny(a).name));

describe('requests are answered from the last pushed snapshot', () => {
  let world: FakeWorld;
  let address: string;
  before(async () => {
    world = new FakeWorld();
    address = await world.start();
  });
  after(() => world.stop());

  it('SotW: an EDS request and a new stream between a change and its push get the pushed state; the push brings the change', async () => {
    world.update({ clusters: [cluster('a')], endpoints: [endpoints('a', 1)] });
    const c = AdsClient.sotw(address, NODE);
    const late = AdsClient.sotw(address, { id: 'router~127.0.0.10~gw.test~test.svc.cluster.local' });
    try {
      c.send({ type_url: CDS, resource_names: [] });
      const cds = await c.next();
      c.send({ type_url: CDS, resource_names: [], version_info: cds.version_info, response_nonce: cds.nonce });
      world.change({ clusters: [cluster('a'), cluster('b')], endpoints: [endpoints('a', 2), endpoints('b', 3)] });
      c.send({ type_url: EDS, resource_names: ['a'] });
      const eds = await c.next();
      assert.deepEqual(ports(eds), [1], 'endpoints of the last push, not of the change waiting for its push');
      c.send({ type_url: EDS, resource_names: ['a'], version_info: eds.version_info, response_nonce: eds.nonce });
      late.send({ type_url: CDS, resource_names: [] });
      assert.deepEqual(names(await late.next()), ['a'], 'a new stream is served the last push too');
      await c.none();

      world.server.push(performance.now());
      const pushed = [await c.next(), await c.next()];
      const byType = new Map(pushed.map((r) => [r.type_url, r]));
      assert.deepEqual(names(byType.get(CDS)!), ['a', 'b'], 'the push brings the new cluster');
      assert.deepEqual(ports(byType.get(EDS)!), [2], 'and the new endpoints');
      assert.deepEqual(names(await late.next()), ['a', 'b']);
    } finally {
      c.close();
      late.close();
    }
  });

  it('delta: a subscription between a change and its push gets the pushed state', async () => {
    world.update({ clusters: [cluster('a')], endpoints: [endpoints('a', 1)] });
    const c = AdsClient.delta(address, NODE);
    try {
      c.send({ type_url: CDS, resource_names_subscribe: ['*'] });
      const cds = await c.next();
      c.send({ type_url: CDS, response_nonce: cds.nonce });
      world.change({ endpoints: [endpoints('a', 2)] });
      c.send({ type_url: EDS, resource_names_subscribe: ['a'] });
      const eds = await c.next();
      assert.deepEqual(ports({ resources: eds.resources.map((r) => r.resource!) }), [1]);
      c.send({ type_url: EDS, response_nonce: eds.nonce });
      await c.none();
      world.server.push(performance.now());
      const next = await c.next();
      assert.equal(next.type_url, EDS);
      assert.deepEqual(ports({ resources: next.resources.map((r) => r.resource!) }), [2]);
    } finally {
      c.close();
    }
  });

  it('Fetch between a change and its push answers from the last push', async () => {
    world.update({ clusters: [cluster('a')] });
    world.change({ clusters: [cluster('a'), cluster('b')] });
    const Ctor = grpc.makeClientConstructor(serviceDefinitions()['envoy.service.cluster.v3.ClusterDiscoveryService'] as grpc.ServiceDefinition, 'ClusterDiscoveryService');
    const client = new Ctor(address, grpc.credentials.createInsecure());
    const fetch = (): Promise<string[]> => new Promise((resolve, reject) => {
      (client as unknown as Record<string, (req: object, cb: (err: grpc.ServiceError | null, r: DiscoveryResponse__Output) => void) => void>)['FetchClusters']!.call(
        client, { node: NODE, type_url: CDS, resource_names: [] }, (err, r) => (err ? reject(err) : resolve(names(r))),
      );
    });
    try {
      assert.deepEqual(await fetch(), ['a']);
      world.server.push(performance.now());
      assert.deepEqual(await fetch(), ['a', 'b']);
    } finally {
      client.close();
    }
  });
});
