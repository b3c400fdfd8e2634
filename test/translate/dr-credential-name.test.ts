// DestinationRule tls.credentialName, where Istio's buildUpstreamClusterTLSContext honours it: on
// gateways, and on sidecars only for a rule with a workloadSelector; any other sidecar gets no TLS
// context (plaintext), which validation warns of. configmap:// is not served by Mast: the system
// roots verify instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { snapshotFromYaml } from '../../src/model';
import { translate } from '../../src/translate';
import type { EnvoyJson, ProxyClass } from '../../src/translate/types';
import { router, service, sidecar } from './helpers';

function rule(extra: string, tls = '{mode: MUTUAL, credentialName: client-credential}'): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: payments, namespace: default}
spec:
  host: payments
${extra}  trafficPolicy:
    tls: ${tls}`;
}

const SELECTED = '  workloadSelector: {matchLabels: {app: productpage}}\n';

function socket(yaml: string, proxy: ProxyClass): EnvoyJson | undefined {
  // Warnings (MAST2041, MAST1008) are expected here; the last test checks them.
  const { snapshot, diagnostics } = snapshotFromYaml([service('payments'), yaml].join('\n---\n'), 'test.yaml');
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  const set = translate(snapshot, proxy);
  const cluster = set.clusters.find((c) => c.name === 'outbound|9080||payments.default.svc.cluster.local');
  assert.ok(cluster, 'payments has a cluster');
  return cluster.json.transport_socket as EnvoyJson | undefined;
}

const sdsNames = (s: EnvoyJson | undefined): string[] => JSON.stringify(s ?? {}).match(/kubernetes:\/\/[a-z-]+/g) ?? [];

test('a sidecar the rule does not select sends plaintext, as in Istio', () => {
  assert.equal(socket(rule(''), sidecar()), undefined);
});

test('a selected sidecar, or a gateway, presents the credential and checks the server against its CA', () => {
  assert.deepEqual(sdsNames(socket(rule(SELECTED), sidecar())), ['kubernetes://client-credential', 'kubernetes://client-credential-cacert']);
  assert.deepEqual(sdsNames(socket(rule(SELECTED), sidecar({ labels: { app: 'details' } }))), [], 'a workload the selector does not match: no rule, auto-mTLS');
  const gatewayRule = rule('').replace('namespace: default', 'namespace: istio-system').replace('host: payments', 'host: payments.default.svc.cluster.local');
  assert.deepEqual(sdsNames(socket(gatewayRule, router())), ['kubernetes://client-credential', 'kubernetes://client-credential-cacert']);
  assert.deepEqual(sdsNames(socket(rule(SELECTED, '{mode: SIMPLE, credentialName: payments-ca}'), sidecar())), ['kubernetes://payments-ca-cacert'], 'SIMPLE: the CA alone');
});

test('configmap:// is not served: the server is verified against the system roots instead', () => {
  const s = socket(rule(SELECTED, '{mode: SIMPLE, credentialName: "configmap://default/payments-ca"}'), sidecar());
  assert.match(JSON.stringify(s), /"trusted_ca":\{"filename":"\/etc\/ssl\/certs\/ca-certificates.crt"\}/);
  assert.deepEqual(sdsNames(s), []);
});

test('validation: a credentialName without a workloadSelector is a warning; configmap:// is not supported', () => {
  const findings = (yaml: string) => snapshotFromYaml(yaml, 'dr.yaml').diagnostics.map((d) => `${d.code} ${d.field}`);
  assert.deepEqual(findings(rule('')), ['MAST2041 spec.trafficPolicy.tls.credentialName']);
  assert.deepEqual(findings(rule(SELECTED)), []);
  assert.deepEqual(findings(rule(SELECTED, '{mode: SIMPLE, credentialName: "configmap://default/payments-ca"}')), ['MAST1008 spec.trafficPolicy.tls.credentialName']);
});
