// Istio's "Accessing External Services" task (istio.io/latest/docs/tasks/traffic-management/
// egress/egress-control/) through real Envoy, on loopback: a sidecar under
// outboundTrafficPolicy REGISTRY_ONLY (the mesh config: the `istio` ConfigMap of istio-system, in
// both sources) gets 502 for a host the registry does not know, a ServiceEntry (DNS resolution,
// MESH_EXTERNAL, HTTP port) opens it, and removing the entry closes it again; then a STATIC
// ServiceEntry with endpoints, a WorkloadEntry (a "VM") that a DestinationRule subset picks, and
// the mesh config edited live (defaultServiceExportTo), a bad edit keeping the last good one. The task's YAML lives in istio.io's docs, not in the pinned
// module's samples, and names httpbin.org: the entries here are ours, in its shape, naming
// `.test` hosts that the sidecar's Envoy resolves from a hosts file of its own (envoy.ts
// hostsFile), so no name ever reaches the outside world's DNS.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { startEcho, type EchoAnswer } from '../../examples/app/echo';
import { get } from '../harness/net';
import type { Mesh } from '../harness/mesh';
import { tempDir } from '../harness/processes';
import { converge, describeMesh } from '../harness/scenario';
import { serviceYaml } from '../harness/service-yaml';

const CASE = path.join(__dirname, '..', 'cases', 'egress');
/** The case's istio ConfigMap (configmap.istio-system.istio.yaml) with `mesh` as its MeshConfig. */
const meshConfig = (mesh: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: ${JSON.stringify(mesh)}\n`;

/** The "external" sites: block 9 of the mesh's address plan, outside every Pod's. */
const SITES = { httpbin: 1, static: 2, vmV1: 3, vmV2: 4 } as const;
const site = (prefix: string, n: number): string => `${prefix}.9.${n}`;
/** Envoy's own hosts file: the DNS ServiceEntry's name. */
const hosts = (prefix: string): string => `${site(prefix, SITES.httpbin)} httpbin.example.test\n`;

const serviceEntry = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-ext, namespace: default}
spec:
  hosts: [httpbin.example.test]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  location: MESH_EXTERNAL
`;

const staticEntry = (prefix: string): string => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: static-site, namespace: default}
spec:
  hosts: [static.example.test]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints: [{address: ${site(prefix, SITES.static)}}]
`;

const vms = (prefix: string): string => `
${serviceYaml('vm-app', { ports: [{ name: 'http', port: 80, targetPort: 80 }], selector: { app: 'vm-app' } })}---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-app-v1, namespace: default}
spec: {address: ${site(prefix, SITES.vmV1)}, labels: {app: vm-app, version: v1}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-app-v2, namespace: default}
spec: {address: ${site(prefix, SITES.vmV2)}, labels: {app: vm-app, version: v2}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: vm-app, namespace: default}
spec:
  host: vm-app.default.svc.cluster.local
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vm-app, namespace: default}
spec:
  hosts: [vm-app]
  http: [{route: [{destination: {host: vm-app, subset: v2}}]}]
`;

/**
 * Starts the "external" sites for the suite's mesh; `answeredBy(host)` is the site that answered
 * sleep's request for `host` through its sidecar, or the status, or `refused` when the sidecar has
 * no listener on port 80.
 */
function externalSites(mesh: () => Mesh): { prefix: () => string; answeredBy: (host: string) => Promise<string | number> } {
  const servers: Server[] = [];
  let prefix = '';
  before(async () => {
    prefix = mesh().workload('sleep-0').ip.split('.').slice(0, 2).join('.');
    for (const [name, n] of Object.entries(SITES)) servers.push(await startEcho({ address: site(prefix, n), port: 80, service: name, version: 'v1', pod: name }));
  });
  after(() => Promise.all(servers.map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); }))));
  const answeredBy = async (host: string): Promise<string | number> => {
    const r = await get(`http://${mesh().workload('sleep-0').outboundAddress}:80/`, { host }).catch((e: Error) => {
      if (/ECONNREFUSED/.test(e.message)) return undefined;
      throw e;
    });
    if (!r) return 'refused';
    return r.status === 200 ? (JSON.parse(r.text) as EchoAnswer).pod : r.status;
  };
  return { prefix: () => prefix, answeredBy };
}

describeMesh(
  'egress (Accessing External Services)',
  (mesh) => {
    const sites = externalSites(mesh);
    const answeredBy = sites.answeredBy;
    const call = (host: string) => get(`http://${mesh().workload('sleep-0').outboundAddress}:80/`, { host });

    it('answers 502 for a host the registry does not know (REGISTRY_ONLY: block_all)', async () => {
      const r = await call('httpbin.example.test');
      assert.equal(r.status, 502);
    });

    it('a DNS ServiceEntry opens the host, resolved by Envoy, and removing it closes it again', async (t) => {
      await mesh().apply(serviceEntry);
      await converge(t, 'httpbin.example.test served through the ServiceEntry', async () => (await answeredBy('httpbin.example.test')) === 'httpbin');
      const cluster = (await mesh().workload('sleep-0').envoy.dynamic('cluster')).find((c) => (c as { cluster?: { name?: string } }).cluster?.name === 'outbound|80||httpbin.example.test') as { cluster: { type: string } } | undefined;
      assert.equal(cluster?.cluster.type, 'STRICT_DNS');
      await mesh().delete(serviceEntry);
      await converge(t, 'httpbin.example.test blocked again', async () => (await answeredBy('httpbin.example.test')) === 502);
    });

    it('a STATIC ServiceEntry sends to its endpoints over EDS', async (t) => {
      await mesh().apply(staticEntry(sites.prefix()));
      await converge(t, 'static.example.test served by its endpoint', async () => (await answeredBy('static.example.test')) === 'static');
    });

    it('a Service selecting WorkloadEntries, with a DestinationRule subset picking one', async (t) => {
      await mesh().apply(vms(sites.prefix()));
      await converge(t, 'vm-app served by the v2 WorkloadEntry', async () => (await answeredBy('vm-app')) === 'vmV2');
      const seen = new Set<string | number>();
      for (let i = 0; i < 10; i++) seen.add(await answeredBy('vm-app'));
      assert.deepEqual([...seen], ['vmV2']);
    });

    it('the mesh config is live: defaultServiceExportTo ["~"] hides the ServiceEntry that sets no exportTo, a bad edit keeps that, the first version restores it', async (t) => {
      // Every service here sets no exportTo, so port 80 has none left for sleep and its listener goes.
      await mesh().apply(meshConfig('outboundTrafficPolicy: {mode: REGISTRY_ONLY}\ndefaultServiceExportTo: ["~"]\n'));
      await converge(t, 'static.example.test exported nowhere: no listener on port 80', async () => (await answeredBy('static.example.test')) === 'refused');
      await mesh().apply(meshConfig('outboundTrafficPolicy: {mode: DENY_ALL}\n'));
      const diagnostics = async () => (await mesh().mast.diagnostics<{ diagnostics: { code: string; field?: string }[] }>()).diagnostics;
      await converge(t, 'the bad edit reported', async () => (await diagnostics()).some((d) => d.code === 'MAST2053' && d.field === 'data.mesh.outboundTrafficPolicy.mode'));
      assert.equal(await answeredBy('static.example.test'), 'refused', 'the last good mesh config still serves');
      await mesh().apply(meshConfig('outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n'));
      await converge(t, 'static.example.test served again', async () => (await answeredBy('static.example.test')) === 'static');
      assert.ok(!(await diagnostics()).some((d) => d.code === 'MAST2053'));
    });
  },
  { source: CASE, hosts },
);

// `--mesh-config FILE` instead: then the file is the mesh config and the case's ConfigMap is not
// read (MAST1003 names it), as istiod reads its file and not the ConfigMap; rewriting the file
// applies live. Files only: the flag works alike in Kubernetes mode, and the suite above edits the
// ConfigMap there.
const meshFile = path.join(tempDir('egress-mesh'), 'mesh.yaml');
writeFileSync(meshFile, 'outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n');
describeMesh(
  'egress, mesh config from --mesh-config FILE',
  (mesh) => {
    const sites = externalSites(mesh);
    it('rewriting the file applies live: defaultServiceExportTo [~] hides the STATIC ServiceEntry, dropping it serves the entry again', async (t) => {
      await mesh().apply(staticEntry(sites.prefix()));
      await converge(t, 'static.example.test served', async () => (await sites.answeredBy('static.example.test')) === 'static');
      writeFileSync(meshFile, 'outboundTrafficPolicy: {mode: REGISTRY_ONLY}\ndefaultServiceExportTo: ["~"]\n');
      await converge(t, 'static.example.test exported nowhere: no listener on port 80', async () => (await sites.answeredBy('static.example.test')) === 'refused');
      writeFileSync(meshFile, 'outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n');
      await converge(t, 'static.example.test served', async () => (await sites.answeredBy('static.example.test')) === 'static');
      const diagnostics = (await mesh().mast.diagnostics<{ diagnostics: { code: string; origin?: { file?: string } }[] }>()).diagnostics;
      assert.ok(diagnostics.some((d) => d.code === 'MAST1003' && d.origin?.file?.endsWith('configmap.istio-system.istio.yaml')), 'the ConfigMap in the config dir is named as not read');
    });
  },
  { source: CASE, mastArgs: ['--mesh-config', meshFile], skip: { kubernetes: 'the file is read alike in both modes; the suite above edits the istio ConfigMap in Kubernetes mode' }, hosts },
);
