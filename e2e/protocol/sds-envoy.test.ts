// SDS with real Envoy, the resources set directly (test/xds/fake-world.ts) so that only the secrets
// are under test: a listener whose TLS names `default` and `ROOTCA` over SDS warms and serves
// mutual TLS with them; Envoy's /certs and /config_dump hold a chain that verifies (with
// @peculiar/x509) up to Mast's root, or through the intermediate to the user's root with a
// plugged-in CA; with an 8-second lifetime the certificate Envoy holds changes at least twice (the
// mesh e2e, scenarios/mtls.test.ts, does it with mast serve's shortest, one minute);
// a root rotation puts both roots in Envoy's trust, then only the new one.
import assert from 'node:assert/strict';
import https from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { buildBootstrap } from '../../src/bootstrap/bootstrap';
import { sdsSecretConfig, ROOT_CA_SECRET, WORKLOAD_CERT_SECRET } from '../../src/translate/core';
import type { WorkloadCert } from '../../src/ca';
import type { NamedResource } from '../../src/translate/types';
import { startEcho } from '../../examples/app/echo';
import { makeUserCa } from '../../test/support/plug-in-ca';
import { rotatingState, sdsStack, type SdsStack, type SdsStackOptions } from '../../test/support/sds';
import { certs, uriSans, verifyChain } from '../../test/support/x509-chain';
import { FakeWorld, cluster, endpoints, listener, quiet, route } from '../../test/xds/fake-world';
import { Envoy } from '../harness/envoy';
import { envoyCerts, envoySecrets, sameSerial } from '../harness/envoy-certs';
import { NackWatch } from '../harness/nacks';
import { freePort, waitFor } from '../harness/net';
import { cleanup, onCleanup, tempDir } from '../harness/processes';

after(cleanup);

const NS = 'shop';
const SPIFFE = `spiffe://cluster.local/ns/${NS}/sa/default`;

/** Fake-world's listener, terminating mutual TLS with the SDS secrets, as Istio's inbound does. */
function tlsListener(port: number): NamedResource {
  const plain = listener('tls-in', port, 'r');
  const chains = plain.json['filter_chains'] as Record<string, unknown>[];
  const transport = {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
      require_client_certificate: true,
      common_tls_context: {
        tls_certificate_sds_secret_configs: [sdsSecretConfig(WORKLOAD_CERT_SECRET)],
        validation_context_sds_secret_config: sdsSecretConfig(ROOT_CA_SECRET),
      },
    },
  };
  return { ...plain, json: { ...plain.json, filter_chains: chains.map((c) => ({ ...c, transport_socket: transport })) } };
}

interface Rig {
  sds: SdsStack;
  world: FakeWorld;
  envoy: Envoy;
  port: number;
  /**
   * One HTTPS request with a client certificate (`client`, else a fresh one from the CA's current
   * signer); the status and the server certificate Envoy presented.
   */
  call(client?: WorkloadCert): Promise<{ status: number; peer: PeerCertificate }>;
}

async function rig(name: string, o: SdsStackOptions & { delta?: boolean }, nacks: Envoy[]): Promise<Rig> {
  const sds = await sdsStack(o);
  onCleanup(() => sds.close());
  const world = new FakeWorld(quiet, sds.secrets);
  const appPort = await freePort();
  const app = await startEcho({ address: '127.0.0.1', port: appPort, service: 'app', version: 'v1', pod: 'app-1' });
  onCleanup(() => app.close());
  const port = await freePort();
  world.set = { clusters: [cluster('app')], endpoints: [endpoints('app', appPort)], listeners: [tlsListener(port)], routes: [route('r', 'app')] };
  const xds = await world.start();
  onCleanup(() => world.stop());
  const adminPort = await freePort();
  const bootstrap = buildBootstrap({ nodeId: `router~127.0.0.1~${name}.${NS}~${NS}.svc.cluster.local`, xdsAddress: xds, insecureXds: true, delta: o.delta ?? false, adminPort, statsPort: 0 });
  assert.ok(!('error' in bootstrap));
  const envoy = Envoy.start({ name, bootstrap, dir: tempDir(`sds-${name}`), adminUrl: `http://127.0.0.1:${adminPort}` });
  nacks.push(envoy);
  await envoy.waitLive(20_000);
  const call = async (given?: WorkloadCert): Promise<{ status: number; peer: PeerCertificate }> => {
    const client = given ?? (await sds.ca.signer!.issueWorkloadCert('spiffe://cluster.local/ns/client/sa/caller', 10 * 60_000));
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1',
        port,
        path: '/',
        headers: { host: 'app' },
        agent: false,
        cert: client.chainPem,
        key: client.key.reveal(),
        ca: sds.ca.bundlePem,
        // The server's identity is its SPIFFE ID, not a host name (as Istio's clients check it).
        checkServerIdentity: (_host, cert) => (cert.subjectaltname === `URI:${SPIFFE}` ? undefined : new Error(`unexpected server identity ${cert.subjectaltname}`)),
        timeout: 3000,
      }, (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, peer }));
      });
      req.on('error', reject);
      req.end();
    });
  };
  return { sds, world, envoy, port, call };
}

/** The leaf serial numbers and the trusted CAs' serials in Envoy's /certs for the TLS listener. */
async function held(envoy: Envoy): Promise<{ leaf?: string; cas: string[] }> {
  const entry = (await envoyCerts(envoy)).find((e) => (e.cert_chain ?? []).some((c) => c.subject_alt_names?.some((s) => s.uri === SPIFFE)));
  return { leaf: entry?.cert_chain?.[0]?.serial_number, cas: (entry?.ca_cert ?? []).map((c) => c.serial_number) };
}

describe('SDS secrets in real Envoy', { concurrency: true }, () => {
  const envoys: Envoy[] = [];
  const nacks = new NackWatch(() => envoys);
  after(() => nacks.assertNone('in the SDS tests'));
  const rigs: Record<string, Rig> = {};
  let userRootPem = '';
  before(async () => {
    const user = await makeUserCa();
    userRootPem = user.files['root-cert.pem']!;
    const [sotw, renewing, delta, plugIn, rotating] = await Promise.all([
      rig('sotw', {}, envoys),
      // 8-second certificates renewed halfway: every 4 s (a rig of their own, so that no renewal
      // lands between the reads of the other tests).
      rig('renewing', { ttlMs: 8_000, grace: 0.5 }, envoys),
      rig('delta', { delta: true }, envoys),
      rig('plugin', { plugIn: user.files }, envoys),
      rig('rotating', { state: await rotatingState(4_000, 12_000) }, envoys),
    ]);
    Object.assign(rigs, { sotw, renewing, delta, plugIn, rotating });
  });

  for (const transport of ['sotw', 'delta']) {
    it(`${transport}: the listener warms on its SDS secrets and serves mutual TLS with them; /certs and /config_dump hold a chain that verifies up to Mast's root`, async () => {
      const { envoy, sds, call } = rigs[transport]!;
      await envoy.waitForResource('listener', 'tls-in');
      const answer = await call();
      assert.equal(answer.status, 200, 'mutual TLS through Envoy with the secrets SDS gave it');
      const secrets = await envoySecrets(envoy);
      assert.deepEqual(secrets.map((s) => s.name).sort(), ['ROOTCA', 'default']);
      const own = secrets.find((s) => s.name === 'default')!;
      const roots = secrets.find((s) => s.name === 'ROOTCA')!;
      assert.equal(roots.trustedCa, sds.ca.bundlePem, "ROOTCA is Mast's trust bundle");
      assert.doesNotMatch(own.privateKey ?? '', /PRIVATE KEY/, 'Envoy redacts the key in its dump');
      const chain = await verifyChain(own.certificateChain!, roots.trustedCa!);
      assert.deepEqual(uriSans(chain[0]!), [SPIFFE]);
      assert.equal(chain.at(-1)!.subject, sds.ca.bundle[0]!.subject);
      const now = await held(envoy);
      assert.ok(now.leaf && sameSerial(now.leaf, chain[0]!.serialNumber), `/certs shows the leaf of the dump (${now.leaf})`);
      assert.ok(sameSerial(answer.peer.serialNumber, chain[0]!.serialNumber), 'and Envoy presents it');
    });
  }

  it("with a plugged-in CA, Envoy's chain is leaf -> intermediate -> the user's root", async () => {
    const { envoy, call } = rigs['plugIn']!;
    await envoy.waitForResource('listener', 'tls-in');
    assert.equal((await call()).status, 200);
    const own = (await envoySecrets(envoy)).find((s) => s.name === 'default')!;
    const chain = await verifyChain(own.certificateChain!, userRootPem);
    assert.deepEqual(chain.map((c) => c.subject), ['', 'O=Example Corp, CN=Example Corp Intermediate CA', 'O=Example Corp, CN=Example Corp Root CA']);
    assert.equal(certs(own.certificateChain!).length, 3, 'the chain Envoy presents carries the intermediate');
  });

  it('with an 8-second lifetime, the certificate Envoy holds and presents changes at least twice', async (t) => {
    const { envoy, call } = rigs['renewing']!;
    // Each poll notes the leaf /certs shows and the one a handshake gets; done when two renewed
    // certificates have each been held and presented.
    const serials: string[] = [];
    const presented: string[] = [];
    const wasPresented = (serial: string): boolean => presented.some((p) => sameSerial(p, serial));
    await waitFor(async () => {
      const { leaf } = await held(envoy);
      if (leaf && !serials.some((s) => sameSerial(s, leaf))) serials.push(leaf);
      presented.push((await call()).peer.serialNumber);
      return serials.length >= 3 && serials.slice(1).every(wasPresented);
    }, 20_000, 'two renewals held and presented by Envoy', 250);
    t.diagnostic(`serials held in turn: ${serials.join(', ')}`);
  });

  it('a root rotation puts both roots in Envoy\'s trust, moves the certificate to the new root, then drops the old root', async () => {
    const { envoy, sds, call } = rigs['rotating']!;
    const [newRoot, oldRoot] = sds.ca.bundle.map((c) => c.serialNumber);
    const fromOldRoot = await sds.ca.signer!.issueWorkloadCert('spiffe://cluster.local/ns/client/sa/old', 10 * 60_000);
    // /certs shows only the first of a context's trusted CAs; the dump holds them all.
    const trusted = async (): Promise<string[]> => certs((await envoySecrets(envoy)).find((s) => s.name === 'ROOTCA')?.trustedCa ?? '').map((c) => c.serialNumber);
    assert.deepEqual(await trusted(), [newRoot, oldRoot], 'both roots trusted from the start');
    await waitFor(async () => {
      const own = (await envoySecrets(envoy)).find((s) => s.name === 'default');
      return own !== undefined && (await verifyChain(own.certificateChain!, sds.ca.bundlePem)).at(-1)!.serialNumber === newRoot;
    }, 10_000, 'the certificate to move to the new root', 250);
    assert.deepEqual(await trusted(), [newRoot, oldRoot], 'the old root is still trusted while certificates move');
    assert.equal((await call(fromOldRoot)).status, 200, "a peer with the old root's certificate is still served");
    assert.equal((await call()).status, 200, "and one with the new root's");
    await waitFor(async () => (await trusted()).join() === newRoot, 15_000, "the old root to leave Envoy's trust", 250);
    const { cas } = await held(envoy);
    assert.ok(sameSerial(cas[0]!, newRoot!), '/certs agrees');
    assert.equal((await call()).status, 200);
    await assert.rejects(call(fromOldRoot), /unknown ca/, "after the overlap, a certificate from the old root is refused");
  });
});
