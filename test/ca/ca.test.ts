// What the CA issues, checked with @peculiar/x509: workload certificates (X.509 SVIDs as Istio
// issues them) from Mast's own root and from a plugged-in intermediate, and the plug-in checks
// Istio makes before it signs as a user's CA.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate as OpenSslCertificate } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { CertificateAuthority, pluggedInCa, spiffeId, trustDomainProblem } from '../../src/ca';
import { makeUserCa } from '../support/plug-in-ca';
import { certs, uriSans, verifyChain } from '../support/x509-chain';

const ID = spiffeId('cluster.local', { namespace: 'default', serviceAccount: 'bookinfo-ratings' });

describe('workload certificates', () => {
  it("are ECDSA P-256 X.509 SVIDs that verify up to Mast's root", async () => {
    const ca = await CertificateAuthority.create();
    const before = Date.now();
    const w = await ca.issueWorkloadCert(ID, 60_000);
    const chain = await verifyChain(w.chainPem, ca.rootPem);
    assert.equal(chain.length, 2, 'leaf -> root');
    const [leaf] = certs(w.chainPem);
    assert.ok(leaf);
    assert.equal(ID, 'spiffe://cluster.local/ns/default/sa/bookinfo-ratings');
    assert.deepEqual(uriSans(leaf), [ID], 'the SPIFFE ID is the one URI SAN');
    assert.equal(leaf.getExtension(x509.SubjectAlternativeNameExtension)?.critical, true, 'critical, since the subject is empty (RFC 5280 4.2.1.6)');
    assert.equal(leaf.subject, '');
    assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    assert.deepEqual([...(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
    const key = createPrivateKey(w.key.reveal());
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal((leaf.publicKey.algorithm as { namedCurve?: string }).namedCurve, 'P-256');
    const lifetime = w.notAfter.getTime() - w.issuedAt.getTime();
    assert.equal(lifetime, 60_000);
    assert.ok(w.issuedAt.getTime() >= before && leaf.notAfter.getTime() === Math.floor(w.notAfter.getTime() / 1000) * 1000);
  });

  it('never print their key: JSON, inspect and string conversion say [redacted]', async () => {
    const w = await (await CertificateAuthority.create()).issueWorkloadCert(ID, 60_000);
    const printed = [JSON.stringify(w), inspect(w, { depth: 5 }), `${w.key}`, String(w.key)];
    for (const text of printed) {
      assert.doesNotMatch(text, /PRIVATE KEY/);
      assert.match(text, /\[redacted\]/);
    }
    assert.match(w.key.reveal(), /^-----BEGIN PRIVATE KEY-----/);
  });

  it('do not outlive the chain that signs them', async () => {
    const ca = await CertificateAuthority.create({ rootTtlMs: 30_000 });
    const w = await ca.issueWorkloadCert(ID, 24 * 3600_000);
    assert.equal(w.notAfter.getTime(), ca.chainNotAfter.getTime());
  });
});

describe('workload certificates as OpenSSL reads them', () => {
  it('parse and verify with node:crypto (OpenSSL) under ECDSA P-256, P-384 and RSA signers', async () => {
    const signers = [
      ['Mast root (P-256)', await CertificateAuthority.create()],
      ['P-384 intermediate', await pluggedInCa((await makeUserCa({ intermediateKind: 'ec384' })).files, 'test')],
      ['RSA intermediate', await pluggedInCa((await makeUserCa({ intermediateKind: 'rsa' })).files, 'test')],
    ] as const;
    for (const [what, ca] of signers) {
      const w = await ca.issueWorkloadCert(ID, 3_600_000);
      const [leafPem, issuerPem] = w.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
      const leaf = new OpenSslCertificate(leafPem!);
      const issuer = new OpenSslCertificate(issuerPem!);
      assert.ok(leaf.verify(issuer.publicKey), `${what}: the signature verifies`);
      assert.ok(leaf.checkIssued(issuer), `${what}: issuer name and key id match the signer`);
      assert.equal(leaf.subjectAltName, `URI:${ID}`, what);
      assert.equal(leaf.ca, false);
      assert.equal(leaf.serialNumber.toLowerCase(), w.serialNumber, 'the serial @peculiar/x509 and OpenSSL read is the one reported');
      assert.equal(new Date(leaf.validTo).getTime(), Math.floor(w.notAfter.getTime() / 1000) * 1000);
      assert.ok(leaf.checkPrivateKey(createPrivateKey(w.key.reveal())), 'the key is the certificate\'s');
    }
  });
});

describe('a plugged-in CA (Istio cacerts layout)', () => {
  it("signs as the intermediate: the chain is leaf -> intermediate -> the user's root", async () => {
    for (const rootKind of ['rsa', 'ec'] as const) {
      const user = await makeUserCa({ rootKind });
      const ca = await pluggedInCa(user.files, 'test');
      const w = await ca.issueWorkloadCert(ID, 60_000);
      const chain = await verifyChain(w.chainPem, user.files['root-cert.pem']!);
      assert.deepEqual(chain.map((c) => c.subject), ['', user.intermediate.subject, user.root.subject], rootKind);
      assert.equal(ca.rootPem, user.files['root-cert.pem']);
    }
  });

  it('trusts every root in root-cert.pem (a plugged-in rotation puts both there)', async () => {
    const user = await makeUserCa();
    const other = await makeUserCa({ name: 'Next Corp', rootKind: 'ec' });
    const ca = await pluggedInCa({ ...user.files, 'root-cert.pem': user.files['root-cert.pem']! + other.files['root-cert.pem']! }, 'test');
    assert.deepEqual(ca.roots.map((r) => r.subject), [user.root.subject, other.root.subject]);
    assert.equal(ca.root.subject, user.root.subject, 'the chain still ends at the root that signed the intermediate');
  });

  it("is refused, naming the problem, when it is incomplete, does not chain, is not a CA or the key is another's", async () => {
    const user = await makeUserCa();
    const other = await makeUserCa({ name: 'Other Corp' });
    const cases: [string, Parameters<typeof pluggedInCa>[0], RegExp][] = [
      ['no chain file', { ...user.files, 'cert-chain.pem': undefined }, /incomplete plug-in CA in test: cert-chain.pem missing/],
      ['another root', { ...user.files, 'root-cert.pem': other.files['root-cert.pem'] }, /does not chain to root-cert.pem/],
      ["another CA's key", { ...user.files, 'ca-key.pem': other.files['ca-key.pem'] }, /ca-key.pem: the private key does not belong to ca-cert.pem/],
      ['a key that is not one', { ...user.files, 'ca-key.pem': 'garbage' }, /ca-key.pem: not a PEM private key/],
    ];
    for (const [what, files, error] of cases) {
      await assert.rejects(pluggedInCa(files, 'test'), (err: Error) => {
        assert.match(err.message, error, what);
        assert.doesNotMatch(err.message, /PRIVATE KEY/, 'never the key in a message');
        return true;
      });
    }
    const ownRoot = await CertificateAuthority.create();
    const leafAsCa = await ownRoot.issueServingCert(['not-a-ca.example']);
    await assert.rejects(pluggedInCa({ 'ca-cert.pem': leafAsCa.certPem, 'ca-key.pem': leafAsCa.keyPem, 'cert-chain.pem': leafAsCa.certPem, 'root-cert.pem': ownRoot.rootPem }, 'test'), /is not a CA certificate/);
  });
});

describe('trust domains', () => {
  it('are checked as SPIFFE IDs define them', () => {
    assert.equal(trustDomainProblem('cluster.local'), undefined);
    assert.equal(trustDomainProblem('prod_1.example-corp.com'), undefined);
    assert.match(trustDomainProblem('Cluster.Local') ?? '', /lowercase/);
    assert.match(trustDomainProblem('') ?? '', /1 to 255/);
    assert.match(trustDomainProblem('a/b') ?? '', /lowercase/);
  });
});
