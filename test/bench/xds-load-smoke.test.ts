// The xDS load benchmark in small, as issue 10 asks it to stay in `make test`: 10 simulated
// sidecars on a 50-service mesh, SotW and delta, through the benchmark's own `run`
// (bench/xds-load.ts), against Mast and the go-control-plane peer with the Go load client
// (bench/load-client, the bench's default), and against Mast with the Node one
// (bench/lib/sidecar.ts). The Go binaries are built by `make peer` and `make load-client` (`make
// test` runs them first; bench/lib/go-fleet.ts makeGo runs them again and finds them current):
// cold, they fetch their modules from the Go module proxy (~40 s here).
// Asserts correctness only, never timings: every sidecar converges on the full config, the single
// endpoint change and a short churn reach every sidecar, and nothing is NACKed, neither by the
// load client (which NACKs what Envoy would: an undecodable response, a resource of the wrong
// type) nor, for Mast, by Mast's own count of the NACKs it received (`pilot_total_xds_rejects`
// on /metrics; the peer exports no metrics). A probe proves that count moves on a real NACK, so
// its zero means something; a unit check proves the load client's NACK test can fire.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { Writer } from 'protobufjs';
import { cleanup, tempDir } from '../../e2e/harness/processes';
import { writeMesh } from '../../bench/mesh-gen';
import { loadProtos, type Transport } from '../../bench/lib/sidecar';
import type { RunResult } from '../../bench/lib/stats';
import { startMast, type TargetName } from '../../bench/lib/targets';
import { serverRejects } from '../../bench/lib/watch';
import { misTyped, readResponse } from '../../bench/lib/wire';
import { run, type Options } from '../../bench/xds-load';
import { TYPE_URLS } from '../../src/translate/types';
import { AdsClient } from '../support/ads-client';

const SERVICES = 50;
const CLIENTS = 10;
const CHURN = { rate: 10, seconds: 1 };

/** What one sidecar holds on bench/mesh-gen.ts's mesh of 50: a cluster and CLA per service, two
 * subset clusters and CLAs for each of the 5 services with a DestinationRule (every 10th), and
 * 3 clusters of no EDS (BlackHole, Passthrough, the inbound); 3 listeners, 1 route config. */
const HOLDINGS = { clusters: SERVICES + 2 * (SERVICES / 10) + 3, endpoints: SERVICES + 2 * (SERVICES / 10), listeners: 3, routes: 1 };

const OPTIONS: Options = {
  client: 'go',
  services: SERVICES,
  scope: 0,
  changes: 1,
  churnRate: CHURN.rate,
  churnS: CHURN.seconds,
  settleMs: 200,
  sharedIp: false,
  syncTimeoutMs: 60_000,
  changeTimeoutMs: 60_000,
  maxRssMib: 4096,
};

test.after(cleanup);

function assertConverged(r: RunResult, target: TargetName): void {
  assert.deepEqual(r.holdings, HOLDINGS, 'the first sidecar holds the whole config');
  assert.ok(Number.isFinite(r.sync.totalMs), 'every sidecar synced and ACKed');
  // One step, ACKed by every sidecar: no unconverged step, so one maximum.
  assert.equal(r.change.steps, 1);
  assert.deepEqual(r.change.unconverged, undefined, 'every sidecar ACKed the change');
  assert.equal(r.change.stepMaxMs.length, 1);
  assert.ok(r.churn, 'the churn ran');
  assert.ok(!('failed' in r.churn), `the churn converged: ${'failed' in r.churn ? r.churn.failed : ''}`);
  assert.equal(r.churn.changes, CHURN.rate * CHURN.seconds);
  assert.ok(r.churn.bytes > 0, 'the churn sent responses');
  assert.deepEqual(r.nacks, { count: 0 }, 'the sidecars NACKed nothing');
  if (target === 'mast') assert.equal(r.serverRejects, 0, 'Mast counted no NACK');
  else assert.equal(r.serverRejects, undefined, 'the peer exports no metrics');
  if (target === 'mast') assert.equal(r.sameConfigAsPeer, true, "Mast's config_dump equals the peer's input");
}

/** Sends one real NACK to a Mast of its own and waits for Mast's count to show it. */
async function nackProbe(): Promise<void> {
  const work = tempDir('smoke-nack');
  const configDir = path.join(work, 'mesh');
  writeMesh(configDir, 5);
  const target = await startMast(configDir, work);
  const client = AdsClient.sotw(target.xdsAddress, { id: 'sidecar~10.9.0.1~probe.default~default.svc.cluster.local' });
  try {
    assert.equal(await serverRejects(target), 0);
    client.send({ type_url: TYPE_URLS.cluster, resource_names: [] });
    const r = await client.next(30_000);
    client.send({ type_url: TYPE_URLS.cluster, resource_names: [], version_info: '', response_nonce: r.nonce, error_detail: { code: 3, message: 'probe: rejected on purpose' } });
    let rejects: number | undefined = 0;
    for (let i = 0; i < 100 && rejects === 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      rejects = await serverRejects(target);
    }
    assert.equal(rejects, 1);
  } finally {
    client.close();
    await target.stop();
  }
}

// The three at once (the servers start in seconds, and mostly wait on each other otherwise).
test('10 sidecars on 50 services converge, take every change and NACK nothing', { concurrency: true }, async (t) => {
  loadProtos();
  const runs = (['sotw', 'delta'] as Transport[]).map((transport) =>
    t.test(transport, async () => {
      for (const target of ['mast', 'peer'] as TargetName[]) {
        const r = await run(target, transport, CLIENTS, OPTIONS);
        assert.equal(r.client.kind, 'go');
        assertConverged(r, target);
      }
      const r = await run('mast', transport, CLIENTS, { ...OPTIONS, client: 'node' });
      assert.equal(r.client.kind, 'node');
      assertConverged(r, 'mast');
    }),
  );
  await Promise.all([...runs, t.test("Mast's NACK count moves on a NACK, so its zero above means none came", nackProbe)]);
});

/** A DiscoveryResponse of `typeUrl` whose resources are Anys of the given type URLs. */
function response(typeUrl: string, anyTypes: string[]): Buffer {
  const w = Writer.create();
  for (const t of anyTypes) w.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 2).string(t).uint32((2 << 3) | 2).bytes(new Uint8Array([10, 1, 120])).ldelim();
  w.uint32((4 << 3) | 2).string(typeUrl).uint32((5 << 3) | 2).string('n1');
  return Buffer.from(w.finish());
}

test('the load client finds what Envoy would NACK: a resource of another type, an undecodable response', () => {
  const good = response(TYPE_URLS.cluster, [TYPE_URLS.cluster, TYPE_URLS.cluster]);
  assert.equal(misTyped(good, readResponse(good, false)), 0);
  const bad = response(TYPE_URLS.cluster, [TYPE_URLS.cluster, TYPE_URLS.listener]);
  assert.equal(misTyped(bad, readResponse(bad, false)), 1);
  // A length prefix running past the end of the buffer.
  assert.throws(() => readResponse(Buffer.from([(2 << 3) | 2, 100, 1]), false));
});
