// No client can make Mast hold unbounded memory (issue 10): 20 streams subscribing 300,000
// resource names each once held 710 MB of heap, and a Mast limited to 512 MB of heap died. Against
// a real `mast serve` child with that heap limit, every such stream now ends with
// RESOURCE_EXHAUSTED (src/xds/limits.ts, default limits) and Mast goes on serving.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { freePort, get } from '../../e2e/harness/net';
import { cleanup, isRunning, logTail, spawnLogged, tempDir, waitReady, type Proc } from '../../e2e/harness/processes';
import { serviceDefinitions } from '../../src/envoy-api/protos';
import { TYPE_URLS } from '../../src/translate/types';
import { AdsClient } from '../support/ads-client';

const STREAMS = 20;
const NAMES = 300_000;
const EDS = TYPE_URLS.endpoint;
const node = (i: number): { id: string } => ({ id: `sidecar~127.0.8.${i + 1}~flood-${i}.default~default.svc.cluster.local` });
// About 47 bytes each: 300,000 fit in one request under Mast's 16 MiB receive limit, so it is
// the name limit, not gRPC's message size, that has to refuse them.
const ADS = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
const names = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `outbound|9080||s${from + i}.default.svc.cluster.local`);

describe('a flood of subscribed names against a Mast with 512 MB of heap', () => {
  let mast: Proc;
  let xds: string;
  let admin: string;
  let client: grpc.Client;

  before(async () => {
    const dir = tempDir('flood');
    mkdirSync(path.join(dir, 'config'));
    xds = `127.0.0.1:${await freePort()}`;
    admin = `http://127.0.0.1:${await freePort()}`;
    const args = ['--max-old-space-size=512', '--import', 'tsx', path.join(__dirname, '../../src/cli/main.ts'), 'serve', '--config-dir', path.join(dir, 'config'), '--state-dir', path.join(dir, 'state'),
      '--insecure-xds', '--xds-address', xds, '--xds-tls-address', `127.0.0.1:${await freePort()}`, '--admin-address', admin.slice('http://'.length), '--log-level', 'warn'];
    mast = spawnLogged('mast', process.execPath, args, path.join(dir, 'mast.log'));
    await waitReady(mast, async () => (await get(`${admin}/readyz`, { timeoutMs: 1000 })).status === 200, 60_000);
    client = new grpc.Client(xds, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  });
  after(async () => {
    client?.close();
    await cleanup();
  });

  /**
   * A stream on `method` whose first request is the node then `first`, and whose later requests
   * are `rest`, all already encoded: one request of 300,000 names is encoded once for every stream
   * (two encoded messages one after the other are one message with the fields of both).
   */
  function flood(method: 'StreamAggregatedResources' | 'DeltaAggregatedResources', i: number, first: Buffer, rest: Buffer[]): Promise<grpc.StatusObject> {
    const m = (serviceDefinitions()[ADS] as grpc.ServiceDefinition)[method]!;
    const call = client.makeBidiStreamRequest(`/${ADS}/${method}`, (b: Buffer) => b, (b: Buffer) => b);
    const closed = new Promise<grpc.StatusObject>((resolve) => {
      call.on('status', resolve);
      call.on('error', () => undefined);
      call.on('data', () => undefined);
    });
    call.write(Buffer.concat([m.requestSerialize({ node: node(i) }), first]));
    for (const b of rest) call.write(b);
    return closed;
  }

  async function ended(streams: Promise<grpc.StatusObject>[]): Promise<grpc.StatusObject[]> {
    const died = mast.exited.then((code) => {
      throw new Error(`mast exited (${code}):\n${logTail(mast)}`);
    });
    return Promise.race([Promise.all(streams), died]);
  }

  async function stillServing(): Promise<void> {
    assert.ok(isRunning(mast), logTail(mast));
    assert.equal((await get(`${admin}/readyz`)).status, 200);
    const c = AdsClient.sotw(xds, node(99));
    try {
      c.send({ type_url: EDS, resource_names: names(0, 10) });
      c.send({ type_url: TYPE_URLS.cluster, resource_names: [] });
      assert.equal((await c.next(10_000)).type_url, TYPE_URLS.cluster, 'a proxy within the limits is served');
    } finally {
      c.close();
    }
    const metrics = (await get(`${admin}/metrics`)).text;
    assert.match(metrics, /pilot_xds_refused_streams_total\{limit="names_per_type"\} \d+/);
  }

  it('SotW: 20 streams of 300,000 names each are refused', async () => {
    const serialize = (serviceDefinitions()[ADS] as grpc.ServiceDefinition)['StreamAggregatedResources']!.requestSerialize;
    const request = serialize({ type_url: EDS, resource_names: names(0, NAMES) });
    const statuses = await ended(Array.from({ length: STREAMS }, (_, i) => flood('StreamAggregatedResources', i, request, [])));
    for (const status of statuses) {
      assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED, status.details);
      assert.match(status.details, /--xds-max-names-per-type/);
    }
    await stillServing();
  });

  it('delta: 20 streams adding 30,000 names a request are refused once past the limit', async () => {
    const serialize = (serviceDefinitions()[ADS] as grpc.ServiceDefinition)['DeltaAggregatedResources']!.requestSerialize;
    // Each request is within the limit of 50,000; the second takes the stream past it.
    const [first, second] = [0, 1].map((r) => serialize({ type_url: EDS, resource_names_subscribe: names(r * 30_000, 30_000) }));
    const statuses = await ended(Array.from({ length: STREAMS }, (_, i) => flood('DeltaAggregatedResources', i, first!, [second!])));
    for (const status of statuses) {
      assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED, status.details);
      assert.match(status.details, /60000 subscribed ClusterLoadAssignment names: over the limit of 50000 .*--xds-max-names-per-type/);
    }
    await stillServing();
  });
});
