// A credentialName no Secret answers (MAST3008): SDS knows which credentials a connected proxy
// asked for and the source lacks (CredentialSecrets.missing), and the finding names each Gateway
// server and DestinationRule TLS field that names it; writing the credential clears it. A key SDS
// refuses to a proxy that asks for it (MAST3010) is named the same way, with who and why.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { snapshotFromYaml } from '../../src/model';
import { credentialDir } from '../../src/ca/credentials';
import { CredentialSecrets } from '../../src/xds/credentials';
import { missingCredentialFindings, refusedCredentialFindings } from '../../src/server/credential-findings';
import { makeGatewayCredential, writeCredential } from '../support/gateway-credential';

const quiet = { warn() {}, error() {}, info() {}, debug() {} };

const CONFIG = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [web.example.com]
    tls: {mode: SIMPLE, credentialName: web-cert}
  - port: {number: 8443, name: https-ok, protocol: HTTPS}
    hosts: [ok.example.com]
    tls: {mode: SIMPLE, credentialName: ok-cert}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: external, namespace: istio-system}
spec:
  host: api.example.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 443}
      tls: {mode: MUTUAL, credentialName: web-cert}
`;

test('a credential a gateway asks for and the source lacks is named on every field that names it, until it exists', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mast-credentials-'));
  const secrets = new CredentialSecrets(credentialDir(dir), quiet, 50);
  try {
    writeCredential(dir, 'istio-system', 'ok-cert', (await makeGatewayCredential(['ok.example.com'])).data);
    let changes = 0;
    secrets.onMissingChange(() => changes++);
    const gateway = { namespace: 'istio-system', role: 'router' as const, serviceAccount: 'ingress' };
    secrets.secretsFor('gw-1', gateway, ['kubernetes://web-cert', 'kubernetes://web-cert-cacert', 'kubernetes://ok-cert']);
    await sleep(200);
    assert.deepEqual(secrets.missing(), [{ namespace: 'istio-system', name: 'web-cert' }], 'the -cacert request falls back to web-cert, so it is not named twice');
    assert.ok(changes > 0, 'listeners were told');

    const { snapshot } = snapshotFromYaml(CONFIG);
    const found = missingCredentialFindings([...snapshot.gateways(), ...snapshot.destinationRules()], snapshot.pods(), secrets.missing());
    assert.deepEqual(found.map((d) => [d.code, d.object?.kind, d.field]), [
      ['MAST3008', 'Gateway', 'spec.servers[0].tls.credentialName'],
      ['MAST3008', 'DestinationRule', 'spec.trafficPolicy.portLevelSettings[0].tls.credentialName'],
    ]);
    assert.match(found[0]!.message, /web-cert names no Secret in namespace istio-system/);

    writeCredential(dir, 'istio-system', 'web-cert', (await makeGatewayCredential(['web.example.com'])).data);
    await sleep(300);
    assert.deepEqual(secrets.missing(), [], 'written, it is no longer missing');
    secrets.release('gw-1');
  } finally {
    secrets.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Gateway whose Pods run where the credential exists is not named for another namespace missing it', () => {
  const { snapshot } = snapshotFromYaml(`apiVersion: v1
kind: Pod
metadata: {name: ingress-0, namespace: istio-system, labels: {istio: ingressgateway}}
spec: {containers: [{name: istio-proxy, image: envoy}]}
status: {podIP: 10.1.0.9}
---
apiVersion: v1
kind: Pod
metadata: {name: other-0, namespace: other-ns, labels: {app: other-gw}}
spec: {containers: [{name: istio-proxy, image: envoy}]}
status: {podIP: 10.1.0.10}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw1, namespace: ns1}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: SIMPLE, credentialName: my-cert}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw2, namespace: ns2}
spec:
  selector: {app: other-gw}
  servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [b.example.com], tls: {mode: SIMPLE, credentialName: my-cert}}]
`);
  const found = missingCredentialFindings(snapshot.gateways(), snapshot.pods(), [{ namespace: 'other-ns', name: 'my-cert' }]);
  assert.deepEqual(found.map((d) => d.object?.name), ['gw2']);
});

test('a key refused to a sidecar that asks for it is named on the fields naming it (MAST3010) while it asks', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mast-credentials-'));
  const secrets = new CredentialSecrets(credentialDir(dir), quiet, 50);
  try {
    let changes = 0;
    secrets.onMissingChange(() => changes++);
    const sidecar = { namespace: 'istio-system', role: 'sidecar' as const, serviceAccount: 'payments', labels: { app: 'payments' } };
    secrets.secretsFor('sc-1', sidecar, ['kubernetes://web-cert', 'kubernetes://web-cert-cacert']);
    assert.deepEqual(secrets.refused().map((r) => [r.namespace, r.serviceAccount, r.name]), [['istio-system', 'payments', 'web-cert']], 'the key, not the CA');
    assert.ok(changes > 0, 'listeners were told');
    const { snapshot } = snapshotFromYaml(CONFIG);
    const found = refusedCredentialFindings([...snapshot.gateways(), ...snapshot.destinationRules()], snapshot.pods(), secrets.refused());
    assert.deepEqual(found.map((d) => [d.code, d.object?.kind, d.field]), [
      ['MAST3010', 'Gateway', 'spec.servers[0].tls.credentialName'],
      ['MAST3010', 'DestinationRule', 'spec.trafficPolicy.portLevelSettings[0].tls.credentialName'],
    ]);
    assert.match(found[0]!.message, /refused to the proxy that uses it \(service account istio-system\/payments: a sidecar is sent a credential's key only when/);
    // No longer asked for: no longer refused.
    secrets.secretsFor('sc-1', sidecar, ['kubernetes://web-cert-cacert']);
    assert.deepEqual(secrets.refused(), []);
  } finally {
    secrets.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
