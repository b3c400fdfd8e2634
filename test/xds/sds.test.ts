// SDS on the ADS stream, SotW and delta: a proxy gets exactly its own identity's `default` and
// the trust bundle `ROOTCA`, a renewal reaches the streams of that identity without their asking
// (and no other stream), a bundle change reaches every stream, and an identity's certificate
// lives only as long as one of its proxies is connected.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { identityKey } from '../../src/ca';
import { META, nodeId } from '../../src/proxy/node';
import { TYPE_URLS } from '../../src/translate/types';
import { AdsClient, decodeAny, type NodeInfo } from '../support/ads-client';
import { rotatingState, sdsStack, type SdsStack } from '../support/sds';
import { certs, uriSans, verifyChain } from '../support/x509-chain';
import { FakeWorld, quiet } from './fake-world';

const SDS = TYPE_URLS.secret;
const NAMES = ['default', 'ROOTCA'];

function node(ns: string, sa: string, n: number): NodeInfo {
  return { id: nodeId('sidecar', `127.0.9.${n}`, `p${n}.${ns}`, ns), metadata: { [META.namespace]: ns, [META.serviceAccount]: sa } };
}

const text = (v: unknown): string => (Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString() : Buffer.from(String(v), 'base64').toString());

interface Secrets {
  names: string[];
  chain?: string;
  key?: string;
  roots?: string;
}

/** The secrets of a response, decoded: names, the chain and key of `default`, the bundle of `ROOTCA`. */
function secretsOf(resources: { value: Buffer; type_url: string }[]): Secrets {
  const out: Secrets = { names: [] };
  for (const any of resources) {
    const s = decodeAny(any) as { name: string; tls_certificate?: { certificate_chain: { inline_bytes: unknown }; private_key: { inline_bytes: unknown } }; validation_context?: { trusted_ca: { inline_bytes: unknown } } };
    out.names.push(s.name);
    if (s.tls_certificate) {
      out.chain = text(s.tls_certificate.certificate_chain.inline_bytes);
      out.key = text(s.tls_certificate.private_key.inline_bytes);
    }
    if (s.validation_context) out.roots = text(s.validation_context.trusted_ca.inline_bytes);
  }
  return out;
}

const spiffe = (chain: string): string[] => uriSans(certs(chain)[0]!);
const serial = (chain: string): string => certs(chain)[0]!.serialNumber;

describe('SDS over ADS', () => {
  let sds: SdsStack;
  let world: FakeWorld;
  let address: string;
  before(async () => {
    // Certificates of 1.6 s renewed halfway: a renewal every 0.8 s.
    sds = await sdsStack({ ttlMs: 1600, grace: 0.5 });
    world = new FakeWorld(quiet, sds.secrets);
    address = await world.start();
  });
  after(async () => {
    await world.stop();
    sds.close();
  });

  it("SotW: each proxy gets exactly its own identity's default and ROOTCA, and renewals are pushed to it alone", async () => {
    const a = AdsClient.sotw(address, node('shop', 'cart', 1));
    const b = AdsClient.sotw(address, node('bank', 'ledger', 2));
    try {
      for (const c of [a, b]) c.send({ type_url: SDS, resource_names: NAMES });
      const [ra, rb] = [await a.next(), await b.next()];
      const [sa, sb] = [secretsOf(ra.resources), secretsOf(rb.resources)];
      assert.deepEqual(sa.names, ['ROOTCA', 'default']);
      assert.deepEqual(sb.names, ['ROOTCA', 'default']);
      assert.deepEqual(spiffe(sa.chain!), ['spiffe://cluster.local/ns/shop/sa/cart']);
      assert.deepEqual(spiffe(sb.chain!), ['spiffe://cluster.local/ns/bank/sa/ledger']);
      assert.notEqual(sa.key, sb.key);
      assert.match(sa.key!, /^-----BEGIN PRIVATE KEY-----/);
      assert.equal(sa.roots, sds.ca.bundlePem);
      await verifyChain(sa.chain!, sa.roots!);

      a.send({ type_url: SDS, resource_names: NAMES, version_info: ra.version_info, response_nonce: ra.nonce });
      b.send({ type_url: SDS, resource_names: NAMES, version_info: rb.version_info, response_nonce: rb.nonce });
      // Nobody asks again: the renewal arrives by itself, to each identity's own stream.
      const renewed = secretsOf((await a.next(2500)).resources);
      assert.deepEqual(spiffe(renewed.chain!), ['spiffe://cluster.local/ns/shop/sa/cart']);
      assert.notEqual(serial(renewed.chain!), serial(sa.chain!));
      assert.notEqual(renewed.key, sa.key, 'a new key with each certificate');
      const bRenewed = secretsOf((await b.next(2500)).resources);
      assert.deepEqual(spiffe(bRenewed.chain!), ['spiffe://cluster.local/ns/bank/sa/ledger']);
    } finally {
      a.close();
      b.close();
    }
  });

  it('delta: default and ROOTCA on subscribe, then only the renewed default', async () => {
    const c = AdsClient.delta(address, node('shop', 'cart', 3));
    try {
      c.send({ type_url: SDS, resource_names_subscribe: NAMES });
      const r1 = await c.next();
      assert.deepEqual(r1.resources.map((r) => r.name).sort(), ['ROOTCA', 'default']);
      const first = secretsOf(r1.resources.map((r) => r.resource!));
      assert.deepEqual(spiffe(first.chain!), ['spiffe://cluster.local/ns/shop/sa/cart']);
      c.send({ type_url: SDS, response_nonce: r1.nonce });
      const r2 = await c.next(2500);
      assert.deepEqual(r2.resources.map((r) => r.name), ['default'], 'the unchanged bundle is not resent');
      assert.notEqual(serial(secretsOf(r2.resources.map((r) => r.resource!)).chain!), serial(first.chain!));
      assert.deepEqual(r2.removed_resources, []);
    } finally {
      c.close();
    }
  });

  it('proxies of one identity share its certificate; it is dropped when the last one leaves; no SDS request, no certificate', async () => {
    const quietProxy = AdsClient.sotw(address, node('idle', 'nobody', 9));
    quietProxy.send({ type_url: TYPE_URLS.cluster, resource_names: [] });
    await quietProxy.next();
    const key = identityKey({ namespace: 'team', serviceAccount: 'api' });
    const [x, y] = [AdsClient.sotw(address, node('team', 'api', 4)), AdsClient.sotw(address, node('team', 'api', 5))];
    try {
      for (const c of [x, y]) c.send({ type_url: SDS, resource_names: NAMES });
      const [sx, sy] = [secretsOf((await x.next()).resources), secretsOf((await y.next()).resources)];
      assert.equal(sx.chain, sy.chain, 'one certificate for the identity');
      assert.equal(sds.certs.current(identityKey({ namespace: 'idle', serviceAccount: 'nobody' })), undefined, 'a proxy that asks for no secret gets no certificate');
      x.close();
      await sleep(100);
      assert.ok(sds.certs.current(key), 'kept while a proxy of it remains');
      y.close();
      await sleep(100);
      assert.equal(sds.certs.current(key), undefined, 'dropped with the last proxy');
    } finally {
      x.close();
      y.close();
      quietProxy.close();
    }
  });
});

describe('SDS and root rotation', () => {
  it('pushes the new bundle to every proxy, then certificates from the new root, then the bundle without the old root', async () => {
    const sds = await sdsStack({ state: await rotatingState(600, 1400) });
    const world = new FakeWorld(quiet, sds.secrets);
    const c = AdsClient.sotw(await world.start(), node('shop', 'cart', 6));
    try {
      const [newRoot, oldRoot] = [sds.ca.bundle[0]!, sds.ca.bundle[1]!];
      c.send({ type_url: SDS, resource_names: NAMES });
      const seen: Secrets[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await c.next(3000);
        seen.push(secretsOf(r.resources));
        c.send({ type_url: SDS, resource_names: NAMES, version_info: r.version_info, response_nonce: r.nonce });
      }
      const rootsOf = (s: Secrets) => certs(s.roots!).map((x) => x.subject);
      const signer = async (s: Secrets) => (await verifyChain(s.chain!, s.roots!)).at(-1)!.subject;
      assert.deepEqual(rootsOf(seen[0]!), [newRoot.subject, oldRoot.subject], 'both roots trusted from the start of the rotation');
      assert.deepEqual(rootsOf(seen[1]!), [newRoot.subject, oldRoot.subject], 'and while certificates move');
      assert.equal(await signer(seen[0]!), oldRoot.subject, 'the old root still signs');
      assert.equal(await signer(seen[1]!), newRoot.subject, 'then certificates move to the new root');
      assert.deepEqual(rootsOf(seen[2]!), [newRoot.subject], 'and the old root leaves the bundle');
      assert.equal(await signer(seen[2]!), newRoot.subject);
    } finally {
      c.close();
      await world.stop();
      sds.close();
    }
  });
});
