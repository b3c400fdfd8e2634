// Secrets hygiene over the whole e2e suite: no log any e2e file wrote in this run (Mast's, every
// Envoy's, the API server's and etcd's) holds a PEM private key. The harness scans each temp dir's
// logs before removing it (harness/log-scan.ts), into a ledger of this `node --test` run; this file's
// name sorts last, so `make test` (one file at a time, in sorted order) runs it after every other
// e2e file. Run alone it fails: there is nothing of its run to read. The /debug endpoints'
// redaction is asserted where a proxy holds certificates (scenarios/gateway-tls.test.ts), and the
// CA file's mode where it is written (test/ca/state-file.test.ts: 0600 in a 0700 directory).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CertificateAuthority } from '../src/ca';
import { ledgerFile, readLedger, scanFile } from './harness/log-scan';

test('the scan finds a private key however it reaches a log: PKCS#8, EC, RSA, inside a JSON log line', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mast-hygiene-'));
  try {
    const ca = await CertificateAuthority.create();
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const keys = [ca.toPem().keyPem, ec.export({ type: 'sec1', format: 'pem' }) as string, rsa.export({ type: 'pkcs1', format: 'pem' }) as string];
    const lines = ['{"level":30,"msg":"starting"}', ...keys.map((k) => JSON.stringify({ level: 50, msg: 'oops', key: k })), ca.rootPem.trim()];
    const file = path.join(dir, 'leaky.log');
    writeFileSync(file, `${lines.join('\n')}\n`);
    assert.deepEqual(scanFile(file).keyLines, [2, 3, 4], 'each key found on its line; a certificate is no key');
    writeFileSync(file, `${ca.rootPem}${(await ca.issueServingCert(['x.example.com'])).certPem}`);
    assert.deepEqual(scanFile(file).keyLines, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no log the e2e suite wrote in this run holds a private key', (t) => {
  const logs = readLedger();
  assert.ok(logs.length > 0, `no e2e log was scanned in this run (ledger ${ledgerFile() ?? 'none: not under node --test'}): this file checks the logs of the e2e files that ran before it in the same node --test run, as make test runs them`);
  assert.ok(logs.some((l) => /^mast[^/]*\.log$/.test(path.basename(l.file))), `Mast's own logs are among the ${logs.length} scanned`);
  const leaks = logs.filter((l) => l.keyLines.length > 0).map((l) => `${l.file} (line ${l.keyLines.join(', ')})`);
  assert.deepEqual(leaks, [], `private keys in logs:\n  ${leaks.join('\n  ')}`);
  t.diagnostic(`${logs.length} logs scanned, ${(logs.reduce((n, l) => n + l.bytes, 0) / 1e6).toFixed(1)} MB`);
});
