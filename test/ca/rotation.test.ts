// Root rotation of Mast's own CA: the phases a rotation goes through (the new root trusted, then
// signing, then the old root gone), the live MeshCa taking each when it is due, and the expiry
// warning and metrics for a root near its end.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { CA_STATE_KEYS, fingerprint, MeshCa, newCaState, RenewingCert, rotateCaState, selfSignedMaterial, type CaChange } from '../../src/ca';
import { createTelemetry } from '../../src/telemetry/metrics';

const MIN = 60_000;

function recordingLog(): { lines: { level: string; msg: string; obj: object }[]; info: (o: object, m: string) => void; warn: (o: object, m: string) => void; error: (o: object, m: string) => void } {
  const lines: { level: string; msg: string; obj: object }[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => lines.push({ level: 'warn', msg, obj }),
    error: (obj, msg) => lines.push({ level: 'error', msg, obj }),
  };
}

describe('rotating the root', () => {
  it('trusts the new root first, signs with it after the activation delay, and drops the old one after the overlap', async () => {
    const t0 = Date.now();
    const before = await newCaState();
    const after = await rotateCaState(before, { now: t0, activateAfterMs: MIN, overlapMs: 10 * MIN });
    assert.equal(after[CA_STATE_KEYS.previousCert], before[CA_STATE_KEYS.cert]);
    assert.notEqual(after[CA_STATE_KEYS.cert], before[CA_STATE_KEYS.cert]);
    const material = await selfSignedMaterial(after, 'test');
    const [oldRoot, newRoot] = [(await selfSignedMaterial(before, 'old')).at(t0).signer.root, material.at(t0 + 10 * MIN).signer.root].map(fingerprint);
    const phase = (t: number) => {
      const p = material.at(t);
      return { signer: fingerprint(p.signer.root), bundle: p.bundle.map(fingerprint), next: p.nextChangeAt };
    };
    assert.deepEqual(phase(t0), { signer: oldRoot, bundle: [newRoot, oldRoot], next: t0 + MIN }, 'prepared: trusted everywhere, not signing yet');
    assert.deepEqual(phase(t0 + MIN), { signer: newRoot, bundle: [newRoot, oldRoot], next: t0 + 10 * MIN }, 'active: signs; the old root still trusted');
    assert.deepEqual(phase(t0 + 10 * MIN), { signer: newRoot, bundle: [newRoot], next: undefined }, 'overlap over: the old root is gone');
  });

  it('refuses a rotation while one is in its overlap, and an overlap that does not outlast the activation', async () => {
    const t0 = Date.now();
    const once = await rotateCaState(await newCaState(), { now: t0, activateAfterMs: MIN, overlapMs: 10 * MIN });
    await assert.rejects(rotateCaState(once, { now: t0 + 5 * MIN, activateAfterMs: MIN, overlapMs: 10 * MIN }), /still in its overlap until/);
    const twice = await rotateCaState(once, { now: t0 + 11 * MIN, activateAfterMs: MIN, overlapMs: 10 * MIN });
    assert.equal(twice[CA_STATE_KEYS.previousCert], once[CA_STATE_KEYS.cert]);
    await assert.rejects(rotateCaState(once, { now: t0 + 11 * MIN, activateAfterMs: MIN, overlapMs: MIN }), /overlap must be longer than the activation delay/);
  });

  it('MeshCa takes each phase when it is due and tells its listeners what changed', async () => {
    const log = recordingLog();
    const ca = new MeshCa({ trustDomain: 'cluster.local', log });
    const state = await rotateCaState(await newCaState(), { activateAfterMs: 400, overlapMs: 900 });
    const changes: (CaChange & { at: number; roots: number })[] = [];
    ca.onChange((c) => changes.push({ ...c, at: Date.now(), roots: ca.bundle.length }));
    const start = Date.now();
    ca.use(await selfSignedMaterial(state, 'test'));
    await ca.ready;
    assert.equal(ca.bundle.length, 2);
    await sleep(1300);
    ca.close();
    assert.deepEqual(changes.map(({ signer, bundle, roots }) => ({ signer, bundle, roots })), [
      { signer: true, bundle: true, roots: 2 }, // loaded
      { signer: true, bundle: false, roots: 2 }, // the new root signs; the bundle stays as it was
      { signer: false, bundle: true, roots: 1 }, // the old root leaves
    ]);
    assert.ok(changes[1]!.at - start >= 350 && changes[2]!.at - start >= 850, `on time: ${changes.map((c) => c.at - start).join(', ')} ms`);
    assert.ok(log.lines.some((l) => /CA rotation phase due: signing as/.test(l.msg)));
  });

  it("a serving certificate (xDS over TLS, webhook) is re-issued by the new root as soon as it signs", async () => {
    const ca = new MeshCa({ trustDomain: 'cluster.local', log: recordingLog() });
    const state = await rotateCaState(await newCaState(), { activateAfterMs: 400, overlapMs: 5000 });
    const material = await selfSignedMaterial(state, 'test');
    ca.use(material);
    await ca.ready;
    const [oldRoot, newRoot] = [material.at(Date.now()).signer.root, material.at(Date.now() + 1000).signer.root];
    const serving = await RenewingCert.issue({ ca, dnsNames: ['mast.mast-system.svc'], onError: (err) => assert.fail(String(err)) });
    try {
      const signedBy = (root: typeof oldRoot): boolean => {
        const cert = new X509Certificate(serving.current.certPem);
        const ca = new X509Certificate(root.toString('pem'));
        return cert.checkIssued(ca) && cert.verify(ca.publicKey);
      };
      assert.ok(signedBy(oldRoot) && !signedBy(newRoot), 'the old root signs at first');
      const renewed = new Promise<void>((resolve) => serving.onRenew(() => resolve()));
      // Mast's timers are unref'd: the sleep keeps the test's event loop alive meanwhile.
      const timeout = new AbortController();
      const late = sleep(3000, undefined, { signal: timeout.signal }).then(
        () => assert.fail('not re-issued within 3 s of the activation'),
        () => undefined, // aborted: re-issued in time
      );
      await Promise.race([renewed, late]);
      timeout.abort();
      assert.ok(signedBy(newRoot), 'renewed by the new root at its activation, not at two thirds of its life');
    } finally {
      serving.stop();
      ca.close();
    }
  });
});

describe('root expiry', () => {
  it('is a warning once a fifth of its life is left, and Istio-named gauges', async () => {
    const log = recordingLog();
    const telemetry = createTelemetry();
    const ca = new MeshCa({ trustDomain: 'cluster.local', log, meter: telemetry.meter });
    // Issued certificates are backdated five minutes; ten seconds ahead is well within the last fifth.
    ca.use(await selfSignedMaterial(await newCaState({ rootTtlMs: 10_000 }), 'test'));
    const root = ca.bundle[0]!;
    const warning = log.lines.find((l) => l.level === 'warn');
    assert.ok(warning, 'a warning');
    assert.match(warning.msg, /CA certificate "O=mast, CN=mast-root-ca .*" expires on .* \(within a minute\); rotate it with `mast ca rotate`/);
    const { resourceMetrics } = await telemetry.exporter.collect();
    const metrics = new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => [m.descriptor.name, (m.dataPoints[0]?.value as number)] as const)));
    assert.equal(metrics.get('citadel_server_root_cert_expiry_timestamp'), root.notAfter.getTime() / 1000);
    const left = metrics.get('citadel_server_root_cert_expiry_seconds')!;
    assert.ok(left > 0 && left <= 10, `seconds left: ${left}`);
    ca.close();
    await telemetry.shutdown();
  });

  it('is no warning for a fresh root', async () => {
    const log = recordingLog();
    const ca = new MeshCa({ trustDomain: 'cluster.local', log });
    ca.use(await selfSignedMaterial(await newCaState(), 'test'));
    assert.deepEqual(log.lines.filter((l) => l.level !== 'info'), []);
    ca.close();
  });
});
