// The harness itself against real Envoy, with no Mast: a static Envoy proxies to a sample app,
// and an Envoy started from `mast bootstrap`'s output identifies itself as Mast expects.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { buildBootstrap } from '../src/bootstrap/bootstrap';
import { META } from '../src/proxy/node';
import { startEcho, type EchoAnswer } from '../examples/app/echo';
import { Envoy } from './harness/envoy';
import { freePort, get, getJson, waitFor } from './harness/net';
import { cleanup, isRunning, tempDir } from './harness/processes';

after(cleanup);

function staticBootstrap(adminPort: number, listenPort: number, appPort: number): object {
  const address = (port: number) => ({ socket_address: { address: '127.0.0.1', port_value: port } });
  return {
    admin: { address: address(adminPort) },
    static_resources: {
      listeners: [{
        name: 'smoke',
        address: address(listenPort),
        filter_chains: [{
          filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'smoke',
              route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'app' } }] }] },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
            },
          }],
        }],
      }],
      clusters: [{
        name: 'app',
        type: 'STATIC',
        connect_timeout: '1s',
        load_assignment: { cluster_name: 'app', endpoints: [{ lb_endpoints: [{ endpoint: { address: address(appPort) } }] }] },
      }],
    },
  };
}

test('a static Envoy proxies requests to a sample app', async (t) => {
  const [adminPort, listenPort, appPort] = [await freePort(), await freePort(), await freePort()];
  const app = await startEcho({ address: '127.0.0.1', port: appPort, service: 'smoke', version: 'v1', pod: 'smoke-1' });
  t.after(() => app.close());
  const envoy = Envoy.start({ name: 'static', bootstrap: staticBootstrap(adminPort, listenPort, appPort), dir: tempDir('smoke'), adminUrl: `http://127.0.0.1:${adminPort}` });
  await envoy.waitLive();

  const answer = await getJson<EchoAnswer>(`http://127.0.0.1:${listenPort}/hello?x=1`, { host: 'smoke.example', headers: { 'end-user': 'jason' } });
  assert.equal(answer.service, 'smoke');
  assert.equal(answer.path, '/hello?x=1');
  assert.equal(answer.headers['host'], 'smoke.example');
  assert.equal(answer.headers['end-user'], 'jason');
  assert.ok(answer.headers['x-request-id'], 'Envoy adds x-request-id');

  await envoy.stop();
  assert.equal(isRunning(envoy.proc), false);
});

test("an Envoy started from mast bootstrap's output carries the node id and metadata", async () => {
  const [adminPort, unusedXds] = [await freePort(), await freePort()];
  const nodeId = 'sidecar~127.0.1.3~reviews-v1-1.default~default.svc.cluster.local';
  const bootstrap = buildBootstrap({
    nodeId,
    xdsAddress: `127.0.0.1:${unusedXds}`,
    insecureXds: true,
    adminPort,
    labels: { app: 'reviews', version: 'v1' },
    interceptionMode: 'NONE',
    localAddress: '127.0.2.3',
  });
  assert.ok(!('error' in bootstrap));
  const envoy = Envoy.start({ name: 'bootstrapped', bootstrap, dir: tempDir('smoke'), adminUrl: `http://127.0.0.1:${adminPort}` });

  // With no xDS server it never goes LIVE, but its admin API answers as soon as it has started.
  await waitFor(async () => (await get(`${envoy.adminUrl}/server_info`)).status === 200, 10000, 'admin API');
  const server = JSON.parse((await get(`${envoy.adminUrl}/server_info`)).text) as { state: string; node: { id: string; metadata: Record<string, unknown> } };
  assert.equal(server.node.id, nodeId);
  assert.equal(server.node.metadata[META.localAddress], '127.0.2.3');
  assert.deepEqual(server.node.metadata[META.labels], { app: 'reviews', version: 'v1' });
  assert.notEqual(server.state, 'LIVE', 'initial_fetch_timeout 0s keeps it un-ready until xDS answers');
});
