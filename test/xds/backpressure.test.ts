import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { TYPE_URLS, type ProxyClass, type ResourceSet } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { XdsMetrics } from '../../src/xds/metrics';
import { SotwConnection } from '../../src/xds/sotw';
import { createTelemetry } from '../../src/telemetry/metrics';
import { resourceTypes } from '../../src/envoy-api/protos';
import { cluster, fakeSnapshot, quiet } from './fake-world';
import { ResponseBytes } from '../../src/xds/wire';

/** A stream whose buffer is full until the test drains it. */
class FullStream extends EventEmitter {
  written: Buffer[] = [];
  full = false;
  write(chunk: Buffer | ResponseBytes): boolean {
    this.written.push(chunk instanceof ResponseBytes ? chunk.concat() : chunk);
    return !this.full;
  }
}

const PROXY: ProxyClass = { role: 'router', namespace: 'ns', labels: {}, ips: ['127.0.0.9'], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.0.1' };

function timeouts(buf: Buffer): number[] {
  const resp = resourceTypes().lookupType('envoy.service.discovery.v3.DiscoveryResponse').decode(buf) as unknown as { resources: { value: Uint8Array }[] };
  const type = resourceTypes().lookupType('envoy.config.cluster.v3.Cluster');
  return resp.resources.map((r) => Number((type.decode(r.value) as unknown as { connect_timeout: { seconds: number } }).connect_timeout.seconds));
}

describe('backpressure', () => {
  it('a blocked stream gets only the newest view after drain, not every intermediate one', async () => {
    const telemetry = createTelemetry();
    let set: ResourceSet = { clusters: [cluster('c', { connect_timeout: '1s' })], endpoints: [], listeners: [], routes: [] };
    let generation = 1;
    const views = new ViewCache(() => [{ name: 'all', key: () => '', build: () => set }], quiet);
    const snapshot = () => fakeSnapshot(generation);
    const stream = new FullStream();
    const conn = new SotwConnection('1', { ...PROXY, id: 'p', workloadName: 'gw.ns', serviceAccount: 'default' }, stream, new XdsMetrics(telemetry.meter, () => ({ sotw: 1, delta: 0 })), quiet);
    const viewNow = () => {
      views.setSnapshot(snapshot());
      return views.viewFor(PROXY);
    };

    stream.full = true;
    conn.onRequest({ type_url: TYPE_URLS.cluster, resource_names: [], response_nonce: '', version_info: '', node: null, error_detail: null, resource_locators: [] }, viewNow());
    assert.equal(stream.written.length, 1, 'the first response is written, and fills the buffer');

    for (const seconds of [2, 3, 4]) {
      set = { ...set, clusters: [cluster('c', { connect_timeout: `${seconds}s` })] };
      generation++;
      conn.push({ view: viewNow() });
    }
    assert.equal(stream.written.length, 1, 'nothing more is written while the stream is full');

    stream.full = false;
    stream.emit('drain');
    assert.equal(stream.written.length, 2, 'one response after drain');
    assert.deepEqual(timeouts(stream.written[1]!), [4], 'and it carries the newest view');
    await telemetry.shutdown();
  });
});
