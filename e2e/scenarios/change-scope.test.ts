// A change touches only what it changes (issue 6): a Service added on a port the mesh already
// serves, and removed again, changes clusters and route tables but no listener. Envoy drains a
// listener whose config changes (closing every connection on it), so this is what keeps a
// keep-alive client through a sidecar on the one connection it opened.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { Mesh } from '../harness/mesh';
import { get, waitFor } from '../harness/net';
import { describeMesh } from '../harness/scenario';
import { serviceWithEndpoints } from '../harness/service-yaml';
import { synced, type Syncz } from '../harness/syncz';

const EXTRA_CLUSTER = 'outbound|9080||ratings-extra.default.svc.cluster.local';

/** A second Service in front of the ratings pod, on 9080 like every bookinfo Service. */
function extraService(mesh: Mesh): string {
  const pod = mesh.workload('ratings-v1-0');
  return serviceWithEndpoints('ratings-extra', { selector: { app: 'ratings' }, ports: [{ name: 'http', port: 9080, targetPort: 9080 }], endpoints: [{ ip: pod.ip, pod: pod.pod }] });
}

/**
 * What says whether an Envoy's listeners changed: each listener's version and update time from
 * /config_dump, Envoy's own counts of listeners added, modified and removed, and the last LDS
 * response Mast sent that proxy.
 */
async function listenerState(mesh: Mesh): Promise<Record<string, unknown>> {
  const syncz = await mesh.mast.syncz<Syncz>();
  const state: Record<string, unknown> = {};
  for (const w of mesh.workloads) {
    type Entry = { name: string; active_state?: { version_info?: string; last_updated?: string } };
    const listeners = ((await w.envoy.dynamic('listener')) as Entry[]).map((l) => `${l.name} ${l.active_state?.version_info} ${l.active_state?.last_updated}`).sort();
    const stats = (await get(`${w.envoy.adminUrl}/stats?filter=${encodeURIComponent('^listener_manager\\.listener_(added|modified|removed|in_place_updated)$')}`)).text.trim().split('\n');
    // The nonce, not the version: on delta streams sentVersion is the stream's generation, whatever was sent.
    const lds = syncz.proxies.find((p) => p.proxyId === w.nodeId)?.types.find((t) => t.type === 'lds')?.sentNonce;
    state[w.pod] = { listeners, stats, lds };
  }
  return state;
}

/**
 * Sends GETs one after another on one keep-alive connection until stopped, counting the
 * connections it had to open: 1 unless something closed it. `stop` may be called more than once.
 */
function keepAliveClient(url: string, host: string): { stop: () => Promise<{ requests: number; connections: number; failures: string[] }> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<Socket>();
  const failures: string[] = [];
  let requests = 0;
  let running = true;
  const once = (): Promise<void> => new Promise((resolve) => {
    const req = http.get(url, { agent, headers: { host }, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) failures.push(`status ${res.statusCode}`);
        resolve();
      });
    });
    req.on('socket', (s: Socket) => sockets.add(s));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      failures.push(err.message);
      resolve();
    });
  });
  let stopped: Promise<{ requests: number; connections: number; failures: string[] }> | undefined;
  const loop = (async () => {
    while (running) {
      requests++;
      await once();
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    stop: () => {
      running = false;
      stopped ??= loop.then(() => {
        agent.destroy();
        return { requests, connections: sockets.size, failures };
      });
      return stopped;
    },
  };
}

async function clusterOnEveryEnvoy(mesh: Mesh, present: boolean): Promise<void> {
  await waitFor(async () => {
    for (const w of mesh.workloads) if ((await w.envoy.names('cluster')).includes(EXTRA_CLUSTER) !== present) return false;
    return true;
  }, 5000, `${EXTRA_CLUSTER} ${present ? 'on' : 'gone from'} every Envoy`);
  await waitFor(() => synced(mesh), 5000, 'every Envoy to ACK what Mast sent');
}

describeMesh('change scope', (mesh) => {
  test('a Service added and removed on an existing port leaves every listener as it was and a keep-alive client on one connection', async (t) => {
    const before = await listenerState(mesh());
    const client = keepAliveClient(mesh().outboundUrl('productpage-v1-0'), 'reviews:9080');
    t.after(() => client.stop());
    await mesh().apply(extraService(mesh()));
    await clusterOnEveryEnvoy(mesh(), true);
    assert.deepEqual(await listenerState(mesh()), before, 'adding the Service left every listener as it was');
    await mesh().delete(extraService(mesh()));
    await clusterOnEveryEnvoy(mesh(), false);
    assert.deepEqual(await listenerState(mesh()), before, 'removing it left every listener as it was');
    // Longer than Envoy's drain time here (1 s), so a drained listener would have closed the connection.
    await new Promise((r) => setTimeout(r, 1500));

    const { requests, connections, failures } = await client.stop();
    t.diagnostic(`${requests} keep-alive requests through productpage's sidecar on ${connections} connection(s)`);
    assert.deepEqual(failures, []);
    assert.ok(requests > 20, `the client kept sending (${requests} requests)`);
    assert.equal(connections, 1, 'the keep-alive connection stayed open');
  });
});
