// Gateway credentials over SDS (`kubernetes://NAME`, `kubernetes://NAME-cacert`), from a
// credential directory (file mode's source; Kubernetes mode reads the same data from a Secret):
// a gateway gets the certificate and key of a credential of its own namespace, and its CA as a
// validation context (from NAME's ca.crt, or from Secret NAME-cacert when there is one); a
// rewritten credential is pushed without the gateway asking; a sidecar gets a credential's key
// only when a DestinationRule selecting it entitles it (the sidecarKeys function), a refusal is
// reported while it lasts, and nobody reaches another namespace; /debug shows keys `[redacted]`; a credential whose
// key is not its certificate's is refused, naming why but never quoting the key.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { caCredential, credentialDir, serverCredential } from '../../src/ca/credentials';
import { META, nodeId } from '../../src/proxy/node';
import { TYPE_URLS } from '../../src/translate/types';
import { XdsTokenKey } from '../../src/ca/xds-token';
import { createTelemetry } from '../../src/telemetry/metrics';
import { ViewCache } from '../../src/xds/cache';
import { CredentialSecrets } from '../../src/xds/credentials';
import { XdsMetrics } from '../../src/xds/metrics';
import { XdsServer } from '../../src/xds/server';
import { SdsSecrets } from '../../src/xds/secrets';
import { AdsClient, decodeAny, type NodeInfo } from '../support/ads-client';
import { makeGatewayCredential, writeCredential, type GatewayCredential } from '../support/gateway-credential';
import { sdsStack, type SdsStack } from '../support/sds';
import { certs } from '../support/x509-chain';
import { FakeWorld, fakeSnapshot, quiet } from './fake-world';

const SDS = TYPE_URLS.secret;
const NS = 'istio-system';

function node(role: 'router' | 'sidecar', n: number, ns = NS, serviceAccount = 'ingress'): NodeInfo {
  return { id: nodeId(role, `127.0.8.${n}`, `gw${n}.${ns}`, ns), metadata: { [META.namespace]: ns, [META.serviceAccount]: serviceAccount } };
}

/** Stands in for the DestinationRules (policy/mtls/sidecar-credentials.ts, tested on its own): service account `payer` may have `web`'s key. */
const sidecarKeys = (c: { serviceAccount: string }): ReadonlySet<string> => new Set(c.serviceAccount === 'payer' ? ['web'] : []);

const text = (v: unknown): string => (Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString() : Buffer.from(String(v), 'base64').toString());

interface Decoded {
  name: string;
  chain?: string;
  key?: string;
  ca?: string;
}

function decode(resources: { value: Buffer; type_url: string }[]): Map<string, Decoded> {
  const out = new Map<string, Decoded>();
  for (const any of resources) {
    const s = decodeAny(any) as { name: string; tls_certificate?: { certificate_chain: { inline_bytes: unknown }; private_key: { inline_bytes: unknown } }; validation_context?: { trusted_ca: { inline_bytes: unknown } } };
    out.set(s.name, {
      name: s.name,
      chain: s.tls_certificate && text(s.tls_certificate.certificate_chain.inline_bytes),
      key: s.tls_certificate && text(s.tls_certificate.private_key.inline_bytes),
      ca: s.validation_context && text(s.validation_context.trusted_ca.inline_bytes),
    });
  }
  return out;
}

describe('gateway credentials over SDS', () => {
  let dir: string;
  let sds: SdsStack;
  let world: FakeWorld;
  let address: string;
  let web: GatewayCredential;
  const warnings: { obj: object; msg: string }[] = [];
  const log = { ...quiet, warn: (obj: object, msg: string) => void warnings.push({ obj, msg }), error: (obj: object, msg: string) => void warnings.push({ obj, msg }) };
  let credentials: CredentialSecrets;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mast-credentials-'));
    web = await makeGatewayCredential(['web.example.com']);
    writeCredential(dir, NS, 'web', web.data);
    sds = await sdsStack();
    credentials = new CredentialSecrets(credentialDir(dir), log, 100, undefined, sidecarKeys);
    world = new FakeWorld(quiet, new SdsSecrets(sds.ca, sds.certs, log, credentials));
    address = await world.start();
  });
  after(async () => {
    await world.stop();
    credentials.close();
    sds.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a gateway gets kubernetes://NAME (chain and key) and kubernetes://NAME-cacert (ca.crt), and a rewrite is pushed unasked', async () => {
    const gw = AdsClient.sotw(address, node('router', 1));
    try {
      gw.send({ type_url: SDS, resource_names: ['kubernetes://web', 'kubernetes://web-cacert'] });
      // Each credential is pushed as soon as it is read, so the first response may hold one of them.
      let r1 = await gw.next();
      if (r1.resources.length < 2) r1 = await gw.next();
      const s1 = decode(r1.resources);
      assert.deepEqual([...s1.keys()].sort(), ['kubernetes://web', 'kubernetes://web-cacert']);
      assert.equal(s1.get('kubernetes://web')!.chain, web.data['tls.crt']);
      assert.equal(s1.get('kubernetes://web')!.key, web.data['tls.key']);
      assert.equal(s1.get('kubernetes://web-cacert')!.ca, web.data['ca.crt']);

      // A renewed certificate from the same CA (cert-manager rewriting the Secret): pushed, CA unchanged.
      gw.send({ type_url: SDS, resource_names: ['kubernetes://web', 'kubernetes://web-cacert'], version_info: r1.version_info, response_nonce: r1.nonce });
      const renewed = await makeGatewayCredential(['web.example.com'], web.ca);
      writeCredential(dir, NS, 'web', renewed.data);
      const s2 = decode((await gw.next(3000)).resources);
      const leaf = (pem: string): string => certs(pem)[0]!.serialNumber;
      assert.equal(leaf(s2.get('kubernetes://web')!.chain!), leaf(renewed.data['tls.crt']!));
      assert.notEqual(leaf(s2.get('kubernetes://web')!.chain!), leaf(web.data['tls.crt']!));
      assert.equal(s2.get('kubernetes://web')!.key, renewed.data['tls.key']);
      assert.equal(s2.get('kubernetes://web-cacert')!.ca, web.data['ca.crt']);
      web = renewed;

      // /debug/config_dump's view of the same stream: the key redacted, the chain as sent.
      const dumped = world.server.configFor(node('router', 1).id)!.config as unknown as { secrets: { name: string; json: { tls_certificate?: { private_key: { inline_bytes: string } } } }[] };
      const key = dumped.secrets.find((s) => s.name === 'kubernetes://web')!.json.tls_certificate!.private_key.inline_bytes;
      assert.equal(key, '[redacted]');
      const bytes = [...JSON.stringify(dumped).matchAll(/"inline_bytes":"([^"]*)"/g)].map((m) => m[1]!);
      assert.ok(bytes.length >= 4);
      for (const b of bytes) assert.doesNotMatch(b === '[redacted]' ? b : Buffer.from(b, 'base64').toString(), /PRIVATE KEY/, 'no key in the dump');
    } finally {
      gw.close();
    }
  });

  it('delta: a Secret NAME-cacert is preferred for the CA, and an added credential arrives once it exists', async () => {
    const other = await makeGatewayCredential(['clients.example.com']);
    writeCredential(dir, NS, 'api-cacert', { 'ca.crt': other.data['ca.crt']! });
    const gw = AdsClient.delta(address, node('router', 2));
    try {
      gw.send({ type_url: SDS, resource_names_subscribe: ['kubernetes://api', 'kubernetes://api-cacert'] });
      const r1 = await gw.next();
      assert.deepEqual(r1.resources.map((r) => r.name), ['kubernetes://api-cacert'], 'the CA from api-cacert; api itself does not exist yet');
      // Read in parallel with api-cacert: its warning may follow the response.
      for (let i = 0; i < 40 && !warnings.some((w) => w.msg.includes(`no Secret ${NS}/api in ${dir}`)); i++) await sleep(50);
      assert.ok(warnings.some((w) => w.msg.includes(`no Secret ${NS}/api in ${dir}`)), 'the log names the missing credential');
      assert.equal(decode(r1.resources.map((r) => r.resource!)).get('kubernetes://api-cacert')!.ca, other.data['ca.crt']);
      gw.send({ type_url: SDS, response_nonce: r1.nonce });
      const api = await makeGatewayCredential(['api.example.com']);
      writeCredential(dir, NS, 'api', api.data);
      const r2 = await gw.next(3000);
      assert.deepEqual(r2.resources.map((r) => r.name), ['kubernetes://api']);
      assert.equal(decode(r2.resources.map((r) => r.resource!)).get('kubernetes://api')!.chain, api.data['tls.crt']);
    } finally {
      gw.close();
    }
  });

  it('a stream that proved no identity (--insecure-xds) gets its certificate but no credential', async () => {
    const views = new ViewCache(() => [{ name: 'all', key: () => '', build: () => ({ clusters: [] }) }], quiet);
    const telemetry = createTelemetry();
    const server: XdsServer = new XdsServer({
      views,
      metrics: new XdsMetrics(telemetry.meter, () => server.counts()),
      log: quiet,
      snapshot: () => fakeSnapshot(1),
      secrets: new SdsSecrets(sds.ca, sds.certs, log, credentials),
      authenticator: await XdsTokenKey.open(dir),
    });
    const open = `127.0.0.1:${await server.listen('127.0.0.1:0', undefined, { open: true })}`;
    const gw = AdsClient.sotw(open, node('router', 5));
    try {
      gw.send({ type_url: SDS, resource_names: ['default', 'kubernetes://web', 'kubernetes://web-cacert'] });
      const first = await gw.next();
      assert.deepEqual([...decode(first.resources).keys()], ['default']);
      gw.send({ type_url: SDS, resource_names: ['default', 'kubernetes://web', 'kubernetes://web-cacert'], version_info: first.version_info, response_nonce: first.nonce });
      // The first test's gateway had both credentials pushed within a few polls (100 ms) of asking.
      await assert.rejects(gw.next(1000), 'nothing more is pushed');
    } finally {
      gw.close();
      await server.close();
    }
  });

  it("a sidecar gets a credential's CA, its key only when entitled, and no proxy reaches another namespace's credentials", async () => {
    writeCredential(dir, 'shop', 'web', web.data);
    const sidecar = AdsClient.sotw(address, node('sidecar', 3));
    const payer = AdsClient.sotw(address, node('sidecar', 6, NS, 'payer'));
    const elsewhere = AdsClient.sotw(address, node('router', 4, 'shop'));
    try {
      warnings.length = 0;
      sidecar.send({ type_url: SDS, resource_names: ['kubernetes://web', 'kubernetes://web-cacert'] });
      assert.deepEqual([...decode((await sidecar.next()).resources).keys()], ['kubernetes://web-cacert']);
      assert.ok(warnings.some((w) => /a sidecar is sent a credential's key only when a DestinationRule in its namespace whose workloadSelector selects it/.test(w.msg)), 'the refusal is logged');
      assert.deepEqual(credentials.refused().map((r) => [r.namespace, r.serviceAccount, r.name]), [[NS, 'ingress', 'web']], 'and reported');
      // A sidecar a rule entitles gets the key, as a gateway does.
      payer.send({ type_url: SDS, resource_names: ['kubernetes://web', 'kubernetes://web-cacert'] });
      // Each credential is pushed as soon as it is read (the key's may follow the CA's).
      let r = await payer.next();
      if (r.resources.length < 2) {
        payer.send({ type_url: SDS, resource_names: ['kubernetes://web', 'kubernetes://web-cacert'], version_info: r.version_info, response_nonce: r.nonce });
        r = await payer.next(2000);
      }
      const paid = decode(r.resources);
      assert.deepEqual([...paid.keys()].sort(), ['kubernetes://web', 'kubernetes://web-cacert']);
      assert.equal(paid.get('kubernetes://web')!.key, web.data['tls.key']);
      // The refusal lasts while the sidecar asks.
      sidecar.close();
      await waitForRefusals(0);
      // A gateway of namespace shop naming istio-system's credential by path gets shop's own web, or nothing.
      elsewhere.send({ type_url: SDS, resource_names: ['kubernetes://istio-system/web', 'kubernetes://../istio-system/web', 'kubernetes://web'] });
      const got = decode((await elsewhere.next()).resources);
      assert.deepEqual([...got.keys()], ['kubernetes://web']);
      assert.ok(warnings.some((w) => /is not the name of a Secret in the proxy's namespace/.test(w.msg)));
      assert.doesNotMatch(JSON.stringify(warnings), /PRIVATE KEY/);
    } finally {
      sidecar.close();
      payer.close();
      elsewhere.close();
    }
  });

  /** Waits (1 s at most) until refused() lists `n` keys: a closed stream is released asynchronously. */
  async function waitForRefusals(n: number): Promise<void> {
    for (let i = 0; i < 50 && credentials.refused().length !== n; i++) await sleep(20);
    assert.equal(credentials.refused().length, n);
  }
});

describe("reading a credential's data (Istio's ExtractCertInfo keys)", () => {
  it('takes tls.crt/tls.key or cert/key, ca.crt or cacert, and refuses a key that is not the certificate\'s without quoting it', async () => {
    const a = await makeGatewayCredential(['a.example.com']);
    const b = await makeGatewayCredential(['b.example.com']);
    assert.deepEqual(serverCredential(a.data), { certificateChain: a.data['tls.crt'], privateKey: a.data['tls.key'] });
    assert.deepEqual(serverCredential({ cert: a.data['tls.crt']!, key: a.data['tls.key']! }), { certificateChain: a.data['tls.crt'], privateKey: a.data['tls.key'] });
    const mismatch = serverCredential({ 'tls.crt': a.data['tls.crt']!, 'tls.key': b.data['tls.key']! });
    assert.ok('problem' in mismatch && /not the certificate's \("CN=a.example.com"\)/.test(mismatch.problem), JSON.stringify(mismatch));
    assert.doesNotMatch(JSON.stringify(mismatch), /PRIVATE KEY/);
    assert.ok('problem' in serverCredential({ 'ca.crt': a.data['ca.crt']! }));
    assert.deepEqual(caCredential({ cacert: a.data['ca.crt']! }), { trustedCa: a.data['ca.crt'] });
    assert.ok('problem' in caCredential({ 'tls.crt': 'not a pem' }));
  });
});
