// One certificate per identity: issued for the first proxy, shared by the others, renewed at the
// grace fraction, moved to a new root when the signer changes, dropped with the last proxy.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { fingerprint, identityKey, MeshCa, newCaState, rotateCaState, selfSignedMaterial, WorkloadCerts, type WorkloadCert } from '../../src/ca';
import { silentLogger } from '../../src/model/log';
import { uriSans, verifyChain, certs } from '../support/x509-chain';

const RATINGS = { namespace: 'default', serviceAccount: 'bookinfo-ratings' };
const REVIEWS = { namespace: 'default', serviceAccount: 'bookinfo-reviews' };

async function loadedCa(): Promise<MeshCa> {
  const ca = new MeshCa({ trustDomain: 'example.org', log: silentLogger });
  ca.use(await selfSignedMaterial(await newCaState(), 'test'));
  return ca;
}

function issuedLog(certs: WorkloadCerts): { key: string; cert: WorkloadCert; at: number }[] {
  const seen: { key: string; cert: WorkloadCert; at: number }[] = [];
  certs.onIssued((key, cert) => seen.push({ key, cert, at: Date.now() }));
  return seen;
}

describe('workload certificates per identity', () => {
  it('are issued once per identity, for its first proxy, in the trust domain', async () => {
    const ca = await loadedCa();
    const certs_ = new WorkloadCerts(ca, { log: silentLogger });
    const seen = issuedLog(certs_);
    certs_.acquire(RATINGS);
    certs_.acquire(RATINGS);
    certs_.acquire(REVIEWS);
    await sleep(200);
    assert.deepEqual(seen.map((s) => s.key).sort(), ['default/bookinfo-ratings', 'default/bookinfo-reviews']);
    const ratings = certs_.current(identityKey(RATINGS))!;
    assert.deepEqual(uriSans(certs(ratings.chainPem)[0]!), ['spiffe://example.org/ns/default/sa/bookinfo-ratings']);
    await verifyChain(ratings.chainPem, ca.bundlePem);
    assert.equal(ratings.notAfter.getTime() - ratings.issuedAt.getTime(), 24 * 3600_000, 'a day by default');
    certs_.close();
    ca.close();
  });

  it('are renewed when the grace fraction of their lifetime is left, and dropped with the last proxy', async () => {
    const ca = await loadedCa();
    // A 1.2 s lifetime renewed with 3/4 of it left: every 0.3 s.
    const wc = new WorkloadCerts(ca, { log: silentLogger, ttlMs: 1200, grace: 0.75 });
    const seen = issuedLog(wc);
    wc.acquire(RATINGS);
    wc.acquire(RATINGS);
    await sleep(1000);
    const serials = new Set(seen.map((s) => s.cert.serialNumber));
    assert.ok(seen.length >= 3 && seen.length <= 5, `issued ${seen.length} times in 1 s`);
    assert.equal(serials.size, seen.length, 'a new certificate each time');
    for (let i = 1; i < seen.length; i++) {
      const gap = seen[i]!.at - seen[i - 1]!.at;
      assert.ok(gap >= 250 && gap < 600, `renewed after ${gap} ms`);
    }
    wc.release(RATINGS);
    assert.ok(wc.current(identityKey(RATINGS)), 'kept while a proxy of it remains');
    wc.release(RATINGS);
    assert.equal(wc.current(identityKey(RATINGS)), undefined);
    const count = seen.length;
    await sleep(500);
    assert.equal(seen.length, count, 'no renewal for an identity without proxies');
    wc.close();
    ca.close();
  });

  it('move to the new root as soon as it signs', async () => {
    const ca = new MeshCa({ trustDomain: 'cluster.local', log: silentLogger });
    ca.use(await selfSignedMaterial(await rotateCaState(await newCaState(), { activateAfterMs: 300, overlapMs: 60_000 }), 'test'));
    const wc = new WorkloadCerts(ca, { log: silentLogger });
    const seen = issuedLog(wc);
    wc.acquire(RATINGS);
    await sleep(600);
    assert.equal(seen.length, 2, 'issued, then re-issued when the new root began to sign');
    const [newRoot, oldRoot] = ca.bundle.map(fingerprint);
    assert.deepEqual(seen.map((s) => s.cert.root), [oldRoot, newRoot]);
    for (const s of seen) await verifyChain(s.cert.chainPem, ca.bundlePem);
    wc.close();
    ca.close();
  });
});
