// The mesh config as a live model input: the root namespace's `istio` ConfigMap (or a
// `--mesh-config` file) in the store, a change rebuilding through the view cache what read it, a
// bad version keeping the last good one, and the default*ExportTo fields applied where exportTo is.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigStore, parseDocuments, snapshotFromYaml, type Snapshot } from '../../src/model';
import { DEFAULT_MESH_CONFIG } from '../../src/model/mesh-config';
import { SnapshotReads } from '../../src/model/snapshot-reads';
import { watchMeshConfigFile } from '../../src/sources/files/mesh-config-file';
import { partsFor } from '../../src/translate';
import { servicePorts } from '../../src/translate/service-ports';
import { virtualServicesFor } from '../../src/translate/routes/virtual-services';
import type { ProxyClass } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { quiet } from '../xds/fake-world';
import { meshConfigMap } from '../support/mesh-config-map';

const SIDECAR: ProxyClass = { role: 'sidecar', namespace: 'default', labels: { app: 'sleep' }, ips: ['127.0.1.1'], interceptionMode: 'REDIRECT', localAddress: '127.0.0.1', outboundAddress: '0.0.0.0' };

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {selector: {app: web}, ports: [{name: http, port: 80}]}
`;

function write(store: ConfigStore, source: string, yaml: string): void {
  const parsed = parseDocuments(yaml, source);
  store.replaceSource(source, parsed.objects, parsed.diagnostics);
}

/** Where virtualOutbound sends what the registry does not know: PassthroughCluster under ALLOW_ANY, BlackHoleCluster under REGISTRY_ONLY. */
function unknownTraffic(views: ViewCache, snapshot: Snapshot): string | undefined {
  views.setSnapshot(snapshot);
  const listener = views.viewFor(SIDECAR).json().listeners.find((l) => l.name === 'virtualOutbound')?.json as { filter_chains: { filters: { typed_config: { cluster: string } }[] }[] } | undefined;
  return listener?.filter_chains[0]?.filters[0]?.typed_config.cluster;
}

const codes = (store: ConfigStore): string[] => store.diagnostics().map((d) => `${d.code} ${d.field ?? ''}`.trim());

describe('the istio ConfigMap in the store', () => {
  it('is the snapshot\'s mesh config; other ConfigMaps, and istio in another namespace, are ignored with a note', () => {
    const { snapshot, diagnostics } = snapshotFromYaml(
      `${meshConfigMap('accessLogFile: /dev/stdout')}---\n${meshConfigMap('enableTracing: false', 'default')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: istio-system}\ndata: {a: b}\n`,
    );
    assert.equal(snapshot.meshConfig.accessLogFile, '/dev/stdout');
    assert.equal(snapshot.meshConfig.enableTracing, true);
    assert.deepEqual(diagnostics.map((d) => d.code), ['MAST1003', 'MAST1003']);
    assert.equal(snapshotFromYaml(SERVICE).snapshot.meshConfig, DEFAULT_MESH_CONFIG);
    // --root-namespace moves it.
    assert.equal(snapshotFromYaml(meshConfigMap('accessLogFile: /x', 'mesh-root'), 'a.yaml', { rootNamespace: 'mesh-root' }).snapshot.meshConfig.accessLogFile, '/x');
  });

  it('a change rebuilds what read it through the view cache: outboundTrafficPolicy switching live, a bad version keeping the last good', async () => {
    const store = new ConfigStore();
    const views = new ViewCache((proxy) => partsFor(proxy.role), quiet);
    write(store, 'web.yaml', SERVICE);
    assert.equal(unknownTraffic(views, store.snapshot()), 'PassthroughCluster');

    write(store, 'mesh.yaml', meshConfigMap('outboundTrafficPolicy: {mode: REGISTRY_ONLY}'));
    const closed = store.snapshot();
    assert.ok(closed.changedSince(['ConfigMap'], closed.generation - 1));
    assert.equal(unknownTraffic(views, closed), 'BlackHoleCluster');

    // A bad value: MAST2053 on the field, no new generation, REGISTRY_ONLY still served.
    let changes = 0;
    store.on('change', () => changes++);
    write(store, 'mesh.yaml', meshConfigMap('outboundTrafficPolicy: {mode: ALLOW_ALL}'));
    await Promise.resolve();
    assert.deepEqual(codes(store), ['MAST2053 data.mesh.outboundTrafficPolicy.mode']);
    assert.equal(store.snapshot().generation, closed.generation);
    assert.equal(changes, 0);
    assert.equal(unknownTraffic(views, store.snapshot()), 'BlackHoleCluster');

    write(store, 'mesh.yaml', meshConfigMap('outboundTrafficPolicy: {mode: ALLOW_ANY}'));
    assert.deepEqual(codes(store), []);
    assert.equal(unknownTraffic(views, store.snapshot()), 'PassthroughCluster');

    // Withdrawn: Istio's defaults again.
    write(store, 'mesh.yaml', meshConfigMap('outboundTrafficPolicy: {mode: REGISTRY_ONLY}'));
    store.replaceSource('mesh.yaml', []);
    assert.equal(store.snapshot().meshConfig, DEFAULT_MESH_CONFIG);
    assert.equal(unknownTraffic(views, store.snapshot()), 'PassthroughCluster');
  });

  it('a ConfigMap without a mesh key, or whose mesh is not YAML, is MAST1016 and not served', () => {
    const { snapshot, diagnostics } = snapshotFromYaml('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata: {meshNetworks: "{}"}\n');
    assert.deepEqual(diagnostics.map((d) => `${d.code} ${d.field}`), ['MAST1016 data.mesh']);
    assert.equal(snapshot.meshConfig, DEFAULT_MESH_CONFIG);
    assert.deepEqual(snapshotFromYaml(meshConfigMap('a: [')).diagnostics.map((d) => `${d.code} ${d.field}`), ['MAST1016 data.mesh']);
  });

  it('readers of the mesh config are noted as reading ConfigMaps, so a piece built from it is rebuilt on a change', () => {
    const reads = new SnapshotReads(snapshotFromYaml(SERVICE).snapshot);
    assert.deepEqual([...(reads.kinds() ?? [])], []);
    void reads.meshConfig;
    assert.deepEqual([...(reads.kinds() ?? [])], ['ConfigMap']);
    const policy = new SnapshotReads(snapshotFromYaml(SERVICE).snapshot);
    void policy.outboundTrafficPolicy;
    assert.deepEqual([...(policy.kinds() ?? [])], ['ConfigMap']);
  });
});

describe('default exportTo (MeshConfig defaultServiceExportTo, defaultVirtualServiceExportTo, defaultDestinationRuleExportTo)', () => {
  const other = `apiVersion: v1
kind: Service
metadata: {name: api, namespace: team-b}
spec: {selector: {app: api}, ports: [{name: http, port: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: team-b}
spec: {hosts: [ext.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: public, namespace: team-b}
spec: {hosts: [public.example.com], exportTo: ["*"], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: team-b}
spec: {hosts: [api.team-b.svc.cluster.local], http: [{route: [{destination: {host: api.team-b.svc.cluster.local}}], timeout: 3s}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api, namespace: team-b}
spec: {host: api.team-b.svc.cluster.local, trafficPolicy: {loadBalancer: {simple: RANDOM}}}
`;
  const hosts = (s: Snapshot, ns: string) => [...new Set(servicePorts(s, ns).map((r) => r.service.hostname))];

  it('unset, everything is exported everywhere (Istio\'s `*`)', () => {
    const { snapshot } = snapshotFromYaml(other);
    assert.deepEqual(hosts(snapshot, 'team-a'), ['api.team-b.svc.cluster.local', 'ext.example.com', 'public.example.com']);
    assert.equal(virtualServicesFor(snapshot, 'mesh', 'team-a').length, 1);
    assert.equal(snapshot.destinationRuleFor('api.team-b.svc.cluster.local', 'team-a')?.meta.name, 'api');
  });

  it('`.` keeps objects that set no exportTo in their own namespace; one that sets its own keeps it', () => {
    const { snapshot } = snapshotFromYaml(`${other}---\n${meshConfigMap('{defaultServiceExportTo: [.], defaultVirtualServiceExportTo: [.], defaultDestinationRuleExportTo: [.]}')}`);
    assert.deepEqual(hosts(snapshot, 'team-a'), ['public.example.com']);
    assert.deepEqual(hosts(snapshot, 'team-b'), ['api.team-b.svc.cluster.local', 'ext.example.com', 'public.example.com']);
    assert.equal(virtualServicesFor(snapshot, 'mesh', 'team-a').length, 0);
    assert.equal(virtualServicesFor(snapshot, 'mesh', 'team-b').length, 1);
    assert.equal(snapshot.destinationRuleFor('api.team-b.svc.cluster.local', 'team-a'), undefined);
    assert.equal(snapshot.destinationRuleFor('api.team-b.svc.cluster.local', 'team-b')?.meta.name, 'api');
  });

  it('`~` exports to no namespace, a name to that one', () => {
    const { snapshot } = snapshotFromYaml(`${other}---\n${meshConfigMap('{defaultServiceExportTo: ["~"], defaultVirtualServiceExportTo: [team-a]}')}`);
    assert.deepEqual(hosts(snapshot, 'team-b'), ['public.example.com']);
    assert.equal(virtualServicesFor(snapshot, 'mesh', 'team-a').length, 1);
    assert.equal(virtualServicesFor(snapshot, 'mesh', 'team-b').length, 0);
  });
});

describe('--mesh-config FILE', () => {
  it('is then the only mesh config: an istio ConfigMap from anywhere else is ignored (MAST1003), as istiod reads its file and no ConfigMap', () => {
    const store = new ConfigStore({ meshConfigFile: '/etc/mast/mesh.yaml' });
    write(store, 'dir/mesh.yaml', meshConfigMap('accessLogFile: /from/dir'));
    assert.deepEqual(codes(store), ['MAST1003']);
    assert.equal(store.snapshot().meshConfig, DEFAULT_MESH_CONFIG);
    const raw = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'accessLogFile: /from/file' } };
    store.replaceSource('mesh-config', [{ raw, origin: { file: '/etc/mast/mesh.yaml' } }]);
    assert.equal(store.snapshot().meshConfig.accessLogFile, '/from/file');
  });

  it('is read at start and again when edited or replaced; a bad edit keeps the last good; removed, the defaults', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mast-mesh-'));
    const file = path.join(dir, 'mesh.yaml');
    writeFileSync(file, 'outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n');
    const store = new ConfigStore();
    const watch = watchMeshConfigFile(file, store, quiet, 10);
    const until = async (what: string, ok: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(ok(), what);
    };
    try {
      await watch.ready;
      assert.equal(store.snapshot().outboundTrafficPolicy, 'REGISTRY_ONLY');
      writeFileSync(file, 'outboundTrafficPolicy: {mode: ALLOW_ANY}\naccessLogFile: /dev/stdout\n');
      await until('the edit is read', () => store.snapshot().meshConfig.accessLogFile === '/dev/stdout');
      assert.equal(store.snapshot().outboundTrafficPolicy, 'ALLOW_ANY');
      writeFileSync(file, 'accessLogEncoding: XML\n');
      await until('the bad edit is reported', () => codes(store).includes('MAST2053 data.mesh.accessLogEncoding'));
      assert.equal(store.snapshot().meshConfig.accessLogFile, '/dev/stdout');
      assert.equal(store.diagnostics()[0]?.origin?.file, file);
      // An editor's save: a new file renamed over the old.
      writeFileSync(path.join(dir, '.mesh.yaml.swp'), 'accessLogEncoding: JSON\n');
      renameSync(path.join(dir, '.mesh.yaml.swp'), file);
      await until('the renamed file is read', () => store.snapshot().meshConfig.accessLogEncoding === 'JSON');
      assert.equal(store.snapshot().meshConfig.accessLogFile, '');
      rmSync(file);
      await until('the removal is seen', () => store.snapshot().meshConfig === DEFAULT_MESH_CONFIG);
    } finally {
      watch.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
