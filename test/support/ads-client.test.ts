// The load client's raw ADS stream retries a stream the server refuses before its first response,
// as Envoy does (istiod refuses new streams over PILOT_MAX_REQUESTS_PER_SECOND with
// RESOURCE_EXHAUSTED); the protocol tests' decoded streams never retry.
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { serviceDefinitions } from '../../src/envoy-api/protos';
import { AdsClient } from './ads-client';

const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

/** An ADS server that ends the first `refuse` streams with RESOURCE_EXHAUSTED at their first
 * request, then answers each request with an empty response of its type; it records every
 * stream's first request. */
async function refusingServer(refuse: number): Promise<{ address: string; firstRequests: { type_url: string; node?: { id: string } }[]; server: grpc.Server }> {
  const ads = serviceDefinitions()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as grpc.ServiceDefinition;
  const server = new grpc.Server();
  const firstRequests: { type_url: string; node?: { id: string } }[] = [];
  let streams = 0;
  const handler = (call: grpc.ServerDuplexStream<{ type_url: string; node?: { id: string } }, object>): void => {
    const n = ++streams;
    let first = true;
    call.on('data', (req) => {
      if (first) firstRequests.push(req);
      first = false;
      if (n <= refuse) call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: 'request rate limit exceeded' });
      else call.write({ type_url: req.type_url, version_info: '1', nonce: String(n), resources: [] });
    });
    call.on('error', () => undefined);
  };
  server.addService(ads, { StreamAggregatedResources: handler, DeltaAggregatedResources: handler });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { address: `127.0.0.1:${port}`, firstRequests, server };
}

const servers: grpc.Server[] = [];
after(() => servers.forEach((s) => s.forceShutdown()));

test('a raw stream refused before any response is opened again with the same requests, node first', async () => {
  const { address, firstRequests, server } = await refusingServer(2);
  servers.push(server);
  const client = AdsClient.raw(address, { id: 'sidecar~10.1.0.1~a.default~default.svc.cluster.local' }, 'sotw');
  client.send({ type_url: CDS, resource_names: [] });
  // Two refusals: waits under 500 ms, then under 1000 ms (Envoy's backoff).
  const response = await client.next(5000);
  assert.ok(Buffer.isBuffer(response) && response.length > 0);
  assert.equal(client.retries, 2);
  assert.equal(firstRequests.length, 3);
  for (const req of firstRequests) {
    assert.equal(req.type_url, CDS);
    assert.equal(req.node?.id, 'sidecar~10.1.0.1~a.default~default.svc.cluster.local', 'every new stream starts with the node');
  }
  client.close();
});

test('a decoded stream is not retried: the refusal ends it', async () => {
  const { address, server } = await refusingServer(1);
  servers.push(server);
  const client = AdsClient.sotw(address, { id: 'sidecar~10.1.0.2~b.default~default.svc.cluster.local' });
  client.send({ type_url: CDS, resource_names: [] });
  const status = await client.closed;
  assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.equal(client.retries, 0);
  client.close();
});
