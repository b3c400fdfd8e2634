// Mast restarted under load (issue 6): stopped and started again on the same addresses, as a
// rolled-out pod behind its Service would be. Envoy keeps serving its last config meanwhile, so no
// request fails; every proxy redials (the bootstrap's reconnect backoff is 0.2-2 s) and re-syncs
// with the new Mast; and the time from the new Mast answering /readyz to the last proxy's ACK is
// printed: BENCHMARKS.md records it against the target of under 5 s.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { task } from '../harness/mesh';
import { waitFor } from '../harness/net';
import { converge, describeMesh, seesOnly, trafficLoop } from '../harness/scenario';
import { synced, type Syncz } from '../harness/syncz';

/**
 * Issue 6's target: every proxy back in sync within 5 s of Mast being ready. Printed, not asserted
 * (tests assert no timings, BENCHMARKS.md); the wait for the re-sync itself is bounded at 15 s.
 */
const RESYNC_TARGET_MS = 5000;

describeMesh('Mast restart', (mesh) => {
  test('restarting Mast fails no request, and every proxy re-syncs with the new one', async (t) => {
    await mesh().apply(task('virtual-service-all-v1.yaml'));
    await converge(t, 'all to v1', () => seesOnly(mesh(), ['v1']));
    const loop = trafficLoop(mesh(), 2, 60_000);
    t.after(() => loop.stop());

    const readyAt = await mesh().restartMast();
    // The new Mast lists only its own streams: all synced there means every proxy redialled it.
    await waitFor(() => synced(mesh()), 15_000, 'every proxy to re-sync with the new Mast', 20);
    const syncz = await mesh().mast.syncz<Syncz>();
    // On a delta stream, a type of which Envoy already holds every current resource (it says so
    // when it redials) gets no response, so has no ACK time; each stream answers CDS and LDS at least.
    const acks = syncz.proxies.flatMap((p) => p.types.flatMap((type) => (type.ackedAt ? [{ proxy: p.proxyId, type: type.type, at: Date.parse(type.ackedAt) }] : [])));
    for (const p of syncz.proxies) assert.ok(acks.some((a) => a.proxy === p.proxyId), `${p.proxyId} ACKed something on its new stream`);
    const last = acks.reduce((a, b) => (b.at > a.at ? b : a));
    const resyncMs = last.at - readyAt;
    t.diagnostic(`${syncz.proxies.length} proxies re-synced with the new Mast (generation ${syncz.generation}); /readyz 200 to the last ACK (${last.type} of ${last.proxy}): ${resyncMs} ms, target < ${RESYNC_TARGET_MS} ms`);

    // The new Mast serves: a change made now reaches Envoy.
    await mesh().apply(task('virtual-service-reviews-v3.yaml'));
    await converge(t, 'a change after the restart', () => seesOnly(mesh(), ['v3']));

    const { requests, failures } = await loop.stop();
    t.diagnostic(`${requests} requests through the restart, ${failures.length} failed`);
    assert.deepEqual(failures, []);
  });
}, { skip: { kubernetes: "a Mast restart is the same whatever its source; e2e/k8s/restart.test.ts restarts kube-apiserver under Mast instead" } });
