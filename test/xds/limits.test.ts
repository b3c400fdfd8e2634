// The limits on what one xDS client may make Mast hold (src/xds/limits.ts): a stream over one is
// ended with RESOURCE_EXHAUSTED naming the limit and its flag, counted in
// pilot_xds_refused_streams_total, logged once per window, and other streams go on being served;
// a request's names are counted from its bytes as the decoder would count them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { TYPE_URLS } from '../../src/translate/types';
import type { Logger } from '../../src/xds/connection';
import fc from 'fast-check';
import { serviceDefinitions } from '../../src/envoy-api/protos';
import { NAME_FIELDS, refusedBeforeDecoding, type XdsLimits } from '../../src/xds/limits';
import { AdsClient } from '../support/ads-client';
import { FakeWorld, cluster, endpoints } from './fake-world';

const CDS = TYPE_URLS.cluster;
const EDS = TYPE_URLS.endpoint;
const RDS = TYPE_URLS.route;
const LIMITS: XdsLimits = { maxNamesPerType: 5, maxNamesPerStream: 8, maxNameLength: 40, maxStreamsPerProxy: 2 };

const node = (i: number): { id: string } => ({ id: `sidecar~127.0.7.${i}~p${i}.test~test.svc.cluster.local` });
const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('xDS limits', () => {
  let world: FakeWorld;
  let address: string;
  const warnings: string[] = [];
  const log: Logger = { info: () => undefined, debug: () => undefined, error: () => undefined, warn: (_o, msg) => void warnings.push(msg) };

  before(async () => {
    world = new FakeWorld(log, undefined, LIMITS);
    address = await world.start();
    world.update({ clusters: [cluster('a')], endpoints: [endpoints('a', 80)] });
  });
  after(() => world.stop());

  async function refusals(): Promise<Map<string, number>> {
    const { resourceMetrics } = await world.telemetry.exporter.collect();
    const text = new PrometheusSerializer('', false).serialize(resourceMetrics);
    const out = new Map<string, number>();
    for (const m of text.matchAll(/^pilot_xds_refused_streams_total\{limit="(\w+)"[^}]*\} (\d+)/gm)) out.set(m[1]!, Number(m[2]));
    return out;
  }

  /** The status a stream ended with once `requests` are sent on it. */
  async function endedWith(transport: 'sotw' | 'delta', i: number, requests: object[]): Promise<grpc.StatusObject> {
    const c = transport === 'sotw' ? AdsClient.sotw(address, node(i)) : AdsClient.delta(address, node(i));
    try {
      for (const r of requests) c.send(r);
      return await Promise.race([c.closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('stream not ended')), 3000))]);
    } finally {
      c.close();
    }
  }

  it('SotW: more names of one type than the limit end the stream, naming the limit and its flag', async () => {
    const before = (await refusals()).get('names_per_type') ?? 0;
    const status = await endedWith('sotw', 1, [{ type_url: EDS, resource_names: names('c', 6) }]);
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.details, /^the names of one request \(field 3, counted before decoding\): over the limit of 5 .*--xds-max-names-per-type/);
    assert.equal((await refusals()).get('names_per_type'), before + 1);
    assert.ok(warnings.some((w) => w.includes('RESOURCE_EXHAUSTED') && w.includes(node(1).id)), warnings.join('\n'));
  });

  it('SotW: names across types count against the per-stream limit', async () => {
    const status = await endedWith('sotw', 2, [{ type_url: EDS, resource_names: names('c', 5) }, { type_url: RDS, resource_names: names('r', 4) }]);
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.details, /9 subscribed names on one stream: over the limit of 8 .*--xds-max-names-per-stream/);
    assert.equal((await refusals()).get('names_per_stream'), 1);
  });

  it('delta: names added over several requests reach the per-type limit; names the proxy says it holds count too', async () => {
    const status = await endedWith('delta', 3, [
      { type_url: EDS, resource_names_subscribe: names('c', 3) },
      { type_url: EDS, resource_names_subscribe: ['c0', ...names('d', 2)] },
      { type_url: EDS, resource_names_subscribe: ['e0'] },
    ]);
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.details, /6 subscribed ClusterLoadAssignment names: over the limit of 5/);
    const held = Object.fromEntries(names('h', 6).map((n) => [n, '1']));
    const reconnect = await endedWith('delta', 4, [{ type_url: CDS, resource_names_subscribe: ['*'], initial_resource_versions: held }]);
    assert.equal(reconnect.code, grpc.status.RESOURCE_EXHAUSTED);
  });

  it('a name longer than the limit ends the stream', async () => {
    const status = await endedWith('delta', 5, [{ type_url: EDS, resource_names_subscribe: ['x'.repeat(41)] }]);
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.details, /name of 41 characters.*--xds-max-name-length/);
  });

  it('one proxy gets a limited number of streams at once; a closed stream frees its place; other proxies are served throughout', async () => {
    const open = [AdsClient.sotw(address, node(6)), AdsClient.sotw(address, node(6))];
    const other = AdsClient.sotw(address, node(7));
    try {
      for (const c of open) {
        c.send({ type_url: CDS, resource_names: [] });
        assert.equal((await c.next()).resources.length, 1);
      }
      const third = await endedWith('sotw', 6, [{ type_url: CDS, resource_names: [] }]);
      assert.equal(third.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(third.details, /stream 3 of proxy .*: over the limit of 2 .*--xds-max-streams-per-proxy/);
      assert.equal((await refusals()).get('streams_per_proxy'), 1);
      other.send({ type_url: CDS, resource_names: [] });
      assert.equal((await other.next()).resources.length, 1, 'another proxy is served');
      open.pop()!.close();
      await new Promise((r) => setTimeout(r, 200));
      const again = AdsClient.sotw(address, node(6));
      open.push(again);
      again.send({ type_url: CDS, resource_names: [] });
      assert.equal((await again.next()).resources.length, 1, 'the closed stream freed its place');
      // The streams that were within the limits still get changes.
      world.update({ clusters: [cluster('a'), cluster('b')] });
      assert.equal((await open[0]!.next()).resources.length, 2);
      assert.equal((await other.next()).resources.length, 2);
    } finally {
      for (const c of [...open, other]) c.close();
    }
  });

  it('a flood of refusals logs one line per limit per window', async () => {
    const lines = (): number => warnings.filter((w) => w.includes('--xds-max-name-length')).length;
    const start = lines();
    for (let i = 0; i < 5; i++) await endedWith('sotw', 20 + i, [{ type_url: EDS, resource_names: ['y'.repeat(50)] }]);
    assert.equal(lines(), start, 'logged once within the window (by the earlier test), not again');
    assert.equal((await refusals()).get('name_length'), 6, 'but every refusal is counted');
  });
});

describe('counting names before decoding', () => {
  const ads = serviceDefinitions()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as grpc.ServiceDefinition;
  const encode = (method: string, req: object): Buffer => ads[method]!.requestSerialize(req);
  const limits: XdsLimits = { ...LIMITS, maxNamesPerType: 20 };
  const text = fc.string({ maxLength: 30 });
  const request = fc.record({
    version_info: text,
    node: fc.record({ id: text, cluster: text, metadata: fc.constant({ fields: { LABELS: { structValue: { fields: { app: { stringValue: 'x' } } } } } }) }),
    type_url: text,
    response_nonce: text,
    error_detail: fc.option(fc.record({ code: fc.nat(16), message: text }), { nil: undefined }),
  });

  it('refuses exactly the requests with more names in a name field than the limit, naming their node', () => {
    fc.assert(fc.property(request, fc.array(text, { maxLength: 40 }), fc.array(text, { maxLength: 40 }), (req, names, held) => {
      const sotw = refusedBeforeDecoding(encode('StreamAggregatedResources', { ...req, resource_names: names }), NAME_FIELDS.sotw, limits);
      assert.equal(sotw !== undefined, names.length > 20);
      if (sotw) assert.equal(sotw.proxyId, req.node.id === '' ? undefined : req.node.id);
      const initial = Object.fromEntries(held.map((n) => [n, '1']));
      const delta = refusedBeforeDecoding(encode('DeltaAggregatedResources', { ...req, resource_names_subscribe: names, initial_resource_versions: initial }), NAME_FIELDS.delta, limits);
      assert.equal(delta !== undefined, names.length > 20 || Object.keys(initial).length > 20);
    }), { numRuns: 300 });
  });

  it('leaves bytes that are not a request to the decoder', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      assert.doesNotThrow(() => refusedBeforeDecoding(bytes, NAME_FIELDS.delta, limits));
    }), { numRuns: 500 });
  });
});
