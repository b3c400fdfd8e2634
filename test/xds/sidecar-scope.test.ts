// A Sidecar shrinks what a proxy is sent, not only what it uses: over ADS, against the real server
// and view cache, a proxy scoped to 10 of 100 services receives those 10 services' clusters,
// endpoints, listeners and virtual hosts and nothing of the other 90, while a proxy no Sidecar
// applies to receives all 100. Proxies under one Sidecar share its pieces (built once), and a
// change to the Sidecar widens the scope on the open stream.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigStore, parseDocuments } from '../../src/model';
import { nodeId, proxyFromNode } from '../../src/proxy/node';
import { partsFor } from '../../src/translate';
import { TYPE_URLS, type Proxy } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { XdsMetrics } from '../../src/xds/metrics';
import { partsOf } from '../../src/xds/part-diff';
import { XdsServer } from '../../src/xds/server';
import { createTelemetry } from '../../src/telemetry/metrics';
import { AdsClient, decodeAny, type NodeInfo } from '../support/ads-client';
import { quiet } from './fake-world';

const SERVICES = 100;
const name = (i: number) => `svc-${String(i).padStart(3, '0')}`;
const host = (i: number) => `${name(i)}.default.svc.cluster.local`;

function meshYaml(): string {
  const docs: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    docs.push(`apiVersion: v1
kind: Service
metadata: {name: ${name(i)}, namespace: default}
spec: {selector: {app: ${name(i)}}, ports: [{name: http, port: 9080, targetPort: 9080}]}`);
    docs.push(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name(i)}-x, namespace: default, labels: {kubernetes.io/service-name: ${name(i)}}}
addressType: IPv4
ports: [{name: http, port: 9080, protocol: TCP}]
endpoints: [{addresses: [10.200.${i >> 8}.${i & 255}], conditions: {ready: true}}]`);
  }
  return docs.join('\n---\n');
}

/** The namespace-wide Sidecar of namespace `scoped`, importing services 0..count-1. */
function sidecarYaml(count: number): string {
  const hosts = Array.from({ length: count }, (_, i) => `default/${host(i)}`);
  return `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: scoped}
spec:
  egress:
  - hosts: ${JSON.stringify(hosts)}`;
}

function node(namespace: string, ip: string, pod: string): NodeInfo {
  return { id: nodeId('sidecar', ip, `${pod}.${namespace}`, namespace), metadata: { NAMESPACE: namespace, INSTANCE_IPS: ip, LABELS: { app: 'client' }, INTERCEPTION_MODE: 'REDIRECT' } };
}

type Sotw = ReturnType<typeof AdsClient.sotw>;
type Received = { clusters: string[]; endpoints: string[]; listeners: string[]; virtualHosts: string[]; bytes: number };

async function ask(c: Sotw, typeUrl: string, names: string[]): Promise<{ resources: Record<string, unknown>[]; bytes: number }> {
  c.send({ type_url: typeUrl, resource_names: names });
  const r = await c.next(10_000);
  assert.equal(r.type_url, typeUrl);
  c.send({ type_url: typeUrl, resource_names: names, version_info: r.version_info, response_nonce: r.nonce });
  return { resources: r.resources.map(decodeAny), bytes: r.resources.reduce((n, a) => n + a.value.length, 0) };
}

/** Syncs as Envoy does (CDS, EDS of every cluster, LDS, RDS of every route config) and tells what came. */
async function sync(c: Sotw): Promise<Received> {
  const cds = await ask(c, TYPE_URLS.cluster, []);
  const eds = cds.resources.flatMap((x) => (x.type === 'EDS' ? [String((x.eds_cluster_config as { service_name: string }).service_name)] : []));
  const cla = await ask(c, TYPE_URLS.endpoint, eds);
  const lds = await ask(c, TYPE_URLS.listener, []);
  const routeNames = lds.resources.flatMap((l) => (/^0\.0\.0\.0_(\d+)$/.exec(String(l.name)) ? [String(l.name).split('_')[1]!] : []));
  const rds = await ask(c, TYPE_URLS.route, routeNames);
  return {
    clusters: cds.resources.map((x) => String(x.name)).sort(),
    endpoints: cla.resources.map((x) => String(x.cluster_name)).sort(),
    listeners: lds.resources.map((x) => String(x.name)).sort(),
    virtualHosts: rds.resources.flatMap((r) => (r.virtual_hosts as { name: string }[]).map((v) => v.name)).sort(),
    bytes: cds.bytes + cla.bytes + lds.bytes + rds.bytes,
  };
}

const outbound = (names: string[]) => names.filter((n) => n.startsWith('outbound|'));

describe('Sidecar scoping over ADS', () => {
  const telemetry = createTelemetry();
  const store = new ConfigStore();
  const views = new ViewCache((proxy) => partsFor(proxy.role), quiet);
  let server: XdsServer;
  let address = '';
  const clients: Sotw[] = [];
  const apply = (source: string, yaml: string) => {
    const parsed = parseDocuments(yaml, source);
    assert.deepEqual(parsed.diagnostics, [], source);
    store.replaceSource(source, parsed.objects, parsed.diagnostics);
  };
  const connect = (n: NodeInfo) => {
    const c = AdsClient.sotw(address, n);
    clients.push(c);
    return c;
  };

  before(async () => {
    apply('mesh.yaml', meshYaml());
    apply('sidecar.yaml', sidecarYaml(10));
    server = new XdsServer({ views, metrics: new XdsMetrics(telemetry.meter, () => server.counts()), log: quiet, snapshot: () => store.snapshot() });
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.close();
    await telemetry.shutdown();
  });

  it('sends a scoped proxy only its egress hosts, and an unscoped one everything', async () => {
    const scoped = await sync(connect(node('scoped', '10.1.0.1', 'client-a')));
    const open = await sync(connect(node('open', '10.1.0.2', 'client-b')));
    const ten = Array.from({ length: 10 }, (_, i) => `outbound|9080||${host(i)}`).sort();
    assert.deepEqual(outbound(scoped.clusters), ten, 'clusters of the 10 imported services only');
    assert.deepEqual(scoped.endpoints, ten, 'endpoints of those only');
    assert.deepEqual(scoped.virtualHosts.filter((v) => v !== 'allow_any'), ten.map((c) => `${c.split('|')[3]}:9080`).sort(), 'virtual hosts of those only');
    assert.deepEqual(scoped.listeners, ['0.0.0.0_9080', 'virtualInbound', 'virtualOutbound']);
    assert.equal(outbound(open.clusters).length, SERVICES);
    assert.equal(open.endpoints.length, SERVICES);
    assert.equal(open.virtualHosts.filter((v) => v !== 'allow_any').length, SERVICES);
    // The bytes shrink with the scope: 10 services' worth is well under a quarter of 100's.
    assert.ok(scoped.bytes * 4 < open.bytes, `scoped ${scoped.bytes} B against unscoped ${open.bytes} B`);
  });

  it('builds the scoped pieces once for every proxy under the Sidecar', () => {
    const proxy = (n: NodeInfo): Proxy => {
      const p = proxyFromNode(n.id, n.metadata as Parameters<typeof proxyFromNode>[1]);
      assert.ok(!('error' in p));
      return p;
    };
    const a = views.viewFor(proxy(node('scoped', '10.1.0.1', 'client-a')));
    const b = views.viewFor(proxy(node('scoped', '10.1.0.3', 'client-c')));
    const scopedName: [(typeof TYPE_URLS)[keyof typeof TYPE_URLS], string][] = [
      [TYPE_URLS.cluster, `outbound|9080||${host(0)}`],
      [TYPE_URLS.endpoint, `outbound|9080||${host(0)}`],
      [TYPE_URLS.route, '9080'],
      [TYPE_URLS.listener, '0.0.0.0_9080'],
    ];
    for (const [typeUrl, resource] of scopedName) {
      const ofB = new Set(partsOf(b.resources.get(typeUrl)!));
      const shared = partsOf(a.resources.get(typeUrl)!).filter((p) => ofB.has(p));
      assert.ok(shared.some((p) => p.has(resource)), `${typeUrl}: the piece holding ${resource} is one object for both proxies`);
    }
  });

  it('widens the scope on the open stream when the Sidecar imports more', async () => {
    const c = connect(node('scoped', '10.1.0.4', 'client-d'));
    const before = await sync(c);
    assert.equal(outbound(before.clusters).length, 10);
    apply('sidecar.yaml', sidecarYaml(12));
    server.push(performance.now());
    const r = await c.next(10_000);
    assert.equal(r.type_url, TYPE_URLS.cluster);
    const clusters = outbound(r.resources.map((a) => String(decodeAny(a).name)));
    assert.equal(clusters.length, 12);
    assert.ok(clusters.includes(`outbound|9080||${host(11)}`));
  });
});
