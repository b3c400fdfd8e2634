// The xDS server against real Envoy, with the resources set directly (test/xds/fake-world.ts) so
// that each protocol rule can be provoked: a NACK from Envoy itself, cluster warming, both
// transports. The model and translation are exercised by the scenario suites instead.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createAdminServer } from '../../src/admin/server';
import { buildBootstrap } from '../../src/bootstrap/bootstrap';
import type { ResourceSet } from '../../src/translate/types';
import type { ConnectionStatus } from '../../src/xds/connection';
import { startEcho } from '../../examples/app/echo';
import { FakeWorld, cluster, endpoints, listener, quiet, route } from '../../test/xds/fake-world';
import { Envoy } from '../harness/envoy';
import { NackWatch, rejectedUpdates } from '../harness/nacks';
import { freePort, get, getJson, waitFor } from '../harness/net';
import { cleanup, onCleanup, tempDir } from '../harness/processes';

after(cleanup);

const nodeIdFor = (ns: string) => `router~127.0.0.1~gw.${ns}~${ns}.svc.cluster.local`;

for (const transport of ['sotw', 'delta'] as const) {
  describe(`xDS with real Envoy (${transport})`, () => {
    const world = new FakeWorld(quiet);
    const ports: Record<string, number> = {};
    const envoys: Record<string, Envoy> = {};
    let adminUrl = '';
    let appPort = 0;
    /** A listener on a port another process holds: only Envoy can find that out, by binding it. */
    let badListener = false;
    // Only the NACKs a test declares (nacks.expect) are allowed, as in every other e2e suite.
    const nacks = new NackWatch(() => Object.values(envoys));
    afterEach(() => nacks.assertNone('in the protocol test'));

    const base = (appPort: number): ResourceSet => ({
      clusters: [cluster('app')],
      endpoints: [endpoints('app', appPort)],
      listeners: [],
      routes: [route('r', 'app')],
    });

    before(async () => {
      appPort = await freePort();
      const app = await startEcho({ address: '127.0.0.1', port: appPort, service: 'app', version: 'v1', pod: 'app-1' });
      onCleanup(() => app.close());
      world.set = base(appPort);
      world.perProxy = (proxy, set) => {
        const taken = proxy.namespace === 'bad' && badListener ? [listener('taken', appPort, 'r')] : [];
        return { ...set, listeners: [listener('in', ports[proxy.namespace]!, 'r'), ...taken] };
      };
      const xds = await world.start();
      onCleanup(() => world.stop());
      const admin = createAdminServer({
        ready: () => true,
        broken: () => undefined,
        syncz: () => world.server.status(),
        configFor: (id) => world.server.configFor(id),
        diagnostics: () => [],
        translationErrors: () => [],
        generation: () => world.generation,
        exporter: world.telemetry.exporter,
      }, (await import('pino')).pino({ level: 'silent' }));
      const adminPort = await freePort();
      await admin.listen({ host: '127.0.0.1', port: adminPort });
      onCleanup(() => admin.close());
      adminUrl = `http://127.0.0.1:${adminPort}`;

      const dir = tempDir(`protocol-${transport}`);
      for (const ns of ['good', 'bad']) {
        ports[ns] = await freePort();
        const envoyAdmin = await freePort();
        const bootstrap = buildBootstrap({ nodeId: nodeIdFor(ns), xdsAddress: xds, insecureXds: true, delta: transport === 'delta', adminPort: envoyAdmin, statsPort: 0 });
        assert.ok(!('error' in bootstrap));
        envoys[ns] = Envoy.start({ name: ns, bootstrap, dir, adminUrl: `http://127.0.0.1:${envoyAdmin}` });
      }
      world.update({});
      for (const e of Object.values(envoys)) {
        await e.waitLive();
        await e.waitForResource('listener', 'in');
      }
    });

    const through = (ns: string) => get(`http://127.0.0.1:${ports[ns]}/`, { host: 'app' });
    const proxyStatus = async (ns: string) => {
      const syncz = await getJson<{ proxies: ConnectionStatus[] }>(`${adminUrl}/debug/syncz`);
      return syncz.proxies.find((p) => p.proxyId === nodeIdFor(ns))!;
    };

    it('routes through Envoy with config Envoy ACKed', async () => {
      for (const ns of ['good', 'bad']) assert.equal((await through(ns)).status, 200);
      const st = await proxyStatus('good');
      for (const t of st.types) assert.equal(t.ackedVersion, t.sentVersion, `${t.type} ACKed`);
    });

    it('shows a NACK with Envoy\'s reason alone, keeps other proxies and the last good config, and recovers', async () => {
      badListener = true;
      world.update({});
      await waitFor(async () => (await proxyStatus('bad')).types.find((t) => t.type === 'lds')?.lastNack !== undefined, 10000, 'the NACK in /debug/syncz');
      await nacks.expect([/^bad: listener_manager\.lds\.update_rejected \+\d+$/], 'for the listener on a taken port');
      const lds = (await proxyStatus('bad')).types.find((t) => t.type === 'lds')!;
      assert.match(lds.lastNack!.message, new RegExp(`cannot bind .*${appPort}`), `Envoy's own reason: ${lds.lastNack!.message}`);
      assert.doesNotMatch(lds.lastNack!.message, /filter_chains|socket_address \{/, 'not the re-printed listener');
      assert.notEqual(lds.ackedVersion, lds.sentVersion, 'the rejected version is not ACKed');

      const metrics = (await get(`${adminUrl}/metrics`)).text;
      assert.match(metrics, /pilot_total_xds_rejects_total\{type="lds",reason="[^"]*cannot bind[^"]*"\} [1-9]/);

      assert.equal((await proxyStatus('good')).types.find((t) => t.type === 'lds')!.lastNack, undefined, 'the good proxy saw no bad config');
      assert.equal((await through('good')).status, 200);
      assert.equal((await through('bad')).status, 200, 'Envoy keeps serving its last good config');

      badListener = false;
      world.update({});
      await waitFor(async () => {
        const t = (await proxyStatus('bad')).types.find((x) => x.type === 'lds')!;
        return t.ackedVersion !== undefined && t.ackedVersion === t.sentVersion;
      }, 10000, 'the fixed listeners to be ACKed');
    });

    it('fails the check every e2e test ends with when a NACK was not declared', async () => {
      const ldsRejected = async (): Promise<number> => (await rejectedUpdates(envoys['bad']!))['listener_manager.lds.update_rejected'] ?? 0;
      const before = await ldsRejected();
      badListener = true;
      world.update({});
      await waitFor(async () => (await ldsRejected()) > before, 10000, 'Envoy to count the NACK');
      await assert.rejects(nacks.assertNone('in this test'), /NACK\) in this test:\n {2}bad: listener_manager\.lds\.update_rejected \+1$/);
      badListener = false;
      world.update({});
      await waitFor(async () => {
        const t = (await proxyStatus('bad')).types.find((x) => x.type === 'lds')!;
        return t.ackedVersion !== undefined && t.ackedVersion === t.sentVersion;
      }, 10000, 'the fixed listeners to be ACKed');
    });

    it("takes an endpoint change carried alone and keeps the other clusters' endpoints (SotW EDS sends what changed)", async () => {
      /** Each cluster's endpoint ports as Envoy holds them (admin /clusters). */
      const held = async (): Promise<Record<string, number[]>> => {
        type Status = { name: string; host_statuses?: { address: { socket_address: { port_value: number } } }[] };
        const r = await getJson<{ cluster_statuses: Status[] }>(`${envoys['good']!.adminUrl}/clusters?format=json`);
        return Object.fromEntries(r.cluster_statuses.map((c) => [c.name, (c.host_statuses ?? []).map((h) => h.address.socket_address.port_value)]));
      };
      const elsewhere = await freePort();
      world.update({ clusters: [cluster('app'), cluster('side')], endpoints: [endpoints('app', appPort), endpoints('side', appPort)] });
      await waitFor(async () => (await held()).side?.[0] === appPort, 10000, 'cluster side with its endpoints');
      world.update({ endpoints: [endpoints('app', appPort), endpoints('side', elsewhere)] });
      await waitFor(async () => (await held()).side?.[0] === elsewhere, 10000, "side's new endpoint");
      assert.deepEqual((await held()).app, [appPort], 'app keeps the endpoints the response left out');
      assert.equal((await through('good')).status, 200);
      await waitFor(async () => {
        const t = (await proxyStatus('good')).types.find((x) => x.type === 'eds')!;
        return t.ackedVersion !== undefined && t.ackedVersion === t.sentVersion;
      }, 10000, 'the endpoints to be ACKed');
    });

    it('warms a changed cluster even when its endpoints did not change', async () => {
      world.update({ clusters: [cluster('app', { connect_timeout: '7s' })] });
      const e = envoys['good']!;
      await waitFor(async () => {
        const dump = await e.configDump();
        const section = dump.configs.find((c) => c['@type'].endsWith('ClustersConfigDump')) as { dynamic_active_clusters?: { cluster: { name: string; connect_timeout: string } }[]; dynamic_warming_clusters?: unknown[] };
        const app = section.dynamic_active_clusters?.find((c) => c.cluster.name === 'app');
        return app?.cluster.connect_timeout === '7s' && (section.dynamic_warming_clusters ?? []).length === 0;
      }, 10000, 'the changed cluster to be active, not warming');
      assert.equal((await through('good')).status, 200);
    });
  });
}
