// Gateway certificates from files on the proxy's disk: Istio's SDS names `file-cert:CERT~KEY` and
// `file-root:CA` (pkg/security/security.go SdsCertificateConfigFromResourceName) are answered over
// ADS with Secrets naming those files, which Envoy reads and watches itself; a name Istio would
// not parse is not answered; no stream is sent a file secret it did not ask for.
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { META, nodeId } from '../../src/proxy/node';
import { fileCertSecretName, fileRootSecretName, fileSecret } from '../../src/translate/file-credentials';
import { TYPE_URLS } from '../../src/translate/types';
import { AdsClient, decodeAny, type NodeInfo } from '../support/ads-client';
import { sdsStack, type SdsStack } from '../support/sds';
import { FakeWorld, quiet } from './fake-world';

const SDS = TYPE_URLS.secret;

test("Istio's file names, and the Secrets that answer them", () => {
  const cert = fileCertSecretName('/etc/certs/tls.crt', '/etc/certs/tls.key');
  assert.equal(cert, 'file-cert:/etc/certs/tls.crt~/etc/certs/tls.key');
  assert.deepEqual(fileSecret(cert), { name: cert, tls_certificate: { certificate_chain: { filename: '/etc/certs/tls.crt' }, private_key: { filename: '/etc/certs/tls.key' } } });
  const root = fileRootSecretName('/etc/certs/ca.crt');
  assert.equal(root, 'file-root:/etc/certs/ca.crt');
  assert.deepEqual(fileSecret(root), { name: root, validation_context: { trusted_ca: { filename: '/etc/certs/ca.crt' } } });
  // As SdsCertificateConfigFromResourceName: exactly one `~` in a file-cert name, none in file-root.
  for (const bad of ['file-cert:/a', 'file-cert:/a~/b~/c', 'file-cert:~/b', 'file-root:/a~/b', 'file-root:', 'kubernetes://x', 'default']) {
    assert.equal(fileSecret(bad), undefined, bad);
  }
});

function node(n: number): NodeInfo {
  return { id: nodeId('router', `127.0.9.${n}`, `gw${n}.istio-system`, 'istio-system'), metadata: { [META.namespace]: 'istio-system', [META.serviceAccount]: 'gw' } };
}

describe('file secrets over ADS', () => {
  let sds: SdsStack;
  let world: FakeWorld;
  let address: string;
  before(async () => {
    sds = await sdsStack();
    world = new FakeWorld(quiet, sds.secrets);
    address = await world.start();
  });
  after(async () => {
    await world.stop();
    sds.close();
  });

  const cert = fileCertSecretName('/etc/certs/tls.crt', '/etc/certs/tls.key');
  const root = fileRootSecretName('/etc/certs/ca.crt');
  const names = (resources: { value: Buffer; type_url: string }[]): string[] => resources.map((r) => (decodeAny(r) as { name: string }).name).sort();

  it('SotW: the file names asked for are answered beside default and ROOTCA, paths only; a malformed one is not', async () => {
    const c = AdsClient.sotw(address, node(1));
    try {
      c.send({ type_url: SDS, resource_names: ['default', 'ROOTCA', cert, root, 'file-cert:/no-key'] });
      // The file secrets need nothing issued: they may come before the workload certificate does.
      let r = await c.next();
      while (!names(r.resources).includes('default')) {
        assert.deepEqual(names(r.resources), [cert, root].sort());
        c.send({ type_url: SDS, resource_names: ['default', 'ROOTCA', cert, root, 'file-cert:/no-key'], response_nonce: r.nonce, version_info: r.version_info });
        r = await c.next(2500);
      }
      assert.deepEqual(names(r.resources), ['ROOTCA', cert, root, 'default'].sort());
      const secrets = r.resources.map((x) => decodeAny(x) as { name: string; tls_certificate?: { private_key: { filename?: string; inline_bytes?: unknown } } });
      const file = secrets.find((s) => s.name === cert)!;
      assert.equal(file.tls_certificate!.private_key.filename, '/etc/certs/tls.key');
      assert.equal(file.tls_certificate!.private_key.inline_bytes, undefined, 'no key passes through Mast');
    } finally {
      c.close();
    }
  });

  it('delta: a file name subscribed to is added, and another stream that did not ask gets none', async () => {
    const a = AdsClient.delta(address, node(2));
    const b = AdsClient.delta(address, node(3));
    try {
      a.send({ type_url: SDS, resource_names_subscribe: ['default', 'ROOTCA', root] });
      b.send({ type_url: SDS, resource_names_subscribe: ['default', 'ROOTCA'] });
      // Delta sends what changed: gather the names each stream is sent until it holds its identity's pair.
      const gather = async (c: typeof a): Promise<string[]> => {
        const got = new Set<string>();
        while (!got.has('default')) {
          const r = await c.next(2500);
          for (const x of r.resources) got.add(x.name);
          c.send({ type_url: SDS, response_nonce: r.nonce });
        }
        return [...got].sort();
      };
      assert.deepEqual(await gather(a), ['ROOTCA', 'default', root].sort());
      assert.deepEqual(await gather(b), ['ROOTCA', 'default']);
    } finally {
      a.close();
      b.close();
    }
  });
});
