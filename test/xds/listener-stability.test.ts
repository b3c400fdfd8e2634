// Envoy drains a listener whose bytes change and re-warms a changed cluster, so what only names
// more objects must not change them: adding a Service on a port the mesh already uses changes
// no listener, and a Service that selects a pod on a port it already serves leaves that sidecar's
// inbound listener alone (issue 6: adding any Service re-sent LDS to every sidecar).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigStore, parseDocuments, type Snapshot } from '../../src/model';
import { loadConfigDir } from '../../src/sources/files';
import { partsFor } from '../../src/translate';
import { TYPE_URLS, type ProxyClass } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { quiet } from './fake-world';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'bookinfo');

function proxiesOf(snapshot: Snapshot): ProxyClass[] {
  return snapshot.pods().flatMap((p) => {
    if (!p.ip) return [];
    const role = p.meta.labels['istio'] === 'ingressgateway' ? 'router' : 'sidecar';
    return [{ role, namespace: p.meta.namespace, labels: p.meta.labels, ips: [p.ip], interceptionMode: 'NONE', localAddress: p.ip, outboundAddress: p.ip }];
  });
}

/** Each proxy's listener versions (and cluster versions), by proxy IP and resource name. */
function versions(views: ViewCache, snapshot: Snapshot, type: (typeof TYPE_URLS)[keyof typeof TYPE_URLS]): Map<string, string> {
  views.setSnapshot(snapshot);
  const out = new Map<string, string>();
  for (const proxy of proxiesOf(snapshot)) {
    for (const [name, r] of views.viewFor(proxy).resources.get(type) ?? []) out.set(`${proxy.ips[0]} ${name}`, r.version);
  }
  return out;
}

function apply(store: ConfigStore, name: string, yaml: string): Snapshot {
  const parsed = parseDocuments(yaml, name);
  assert.deepEqual(parsed.diagnostics, [], name);
  store.replaceSource(name, parsed.objects, parsed.diagnostics);
  return store.snapshot();
}

describe('provenance does not change what Envoy gets', () => {
  it('a new Service on an existing port, and one more Service selecting a pod on a port it serves, leave every listener version as it was', async () => {
    const store = await loadConfigDir(EXAMPLE, new ConfigStore());
    const views = new ViewCache((proxy) => partsFor(proxy.role), quiet);
    const before = store.snapshot();
    const listeners = versions(views, before, TYPE_URLS.listener);
    const clusters = versions(views, before, TYPE_URLS.cluster);
    assert.ok(listeners.size > 10, `bookinfo has listeners (${listeners.size})`);

    const after = apply(store, 'more.yaml', `apiVersion: v1
kind: Service
metadata: {name: extra, namespace: default}
spec: {clusterIP: 10.96.0.99, selector: {app: extra}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {name: reviews-alias, namespace: default}
spec: {clusterIP: 10.96.0.98, selector: {app: reviews}, ports: [{name: http, port: 9080}]}`);
    assert.ok(after.generation > before.generation);
    assert.deepEqual(versions(views, after, TYPE_URLS.listener), listeners);
    // Existing clusters are untouched too; only the two new services' clusters appear.
    const now = versions(views, after, TYPE_URLS.cluster);
    for (const [key, version] of clusters) assert.equal(now.get(key), version, key);
    assert.ok([...now.keys()].some((k) => k.includes('extra.default')));
  });
});
