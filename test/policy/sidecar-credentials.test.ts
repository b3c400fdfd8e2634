// Istio's rule for a DestinationRule's credentialName at sidecars (ClientTLSSettings.credentialName:
// only with a workloadSelector, the Secret in the proxy's namespace), as the keys SDS may send a
// sidecar: a rule in the sidecar's namespace whose selector picks it, in mode MUTUAL, at any level.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotFromYaml } from '../../src/model';
import { sidecarCredentialNames } from '../../src/policy/mtls/sidecar-credentials';

const rule = (name: string, namespace: string, selector: string | undefined, tls: string): string => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  host: payments.default.svc.cluster.local
${selector ? `  workloadSelector: {matchLabels: ${selector}}\n` : ''}${tls}`;

const CONFIG = [
  rule('top', 'shop', '{app: cart}', '  trafficPolicy:\n    tls: {mode: MUTUAL, credentialName: top-cred}\n'),
  rule('levels', 'shop', '{app: cart, tier: web}', [
    '  trafficPolicy:',
    '    portLevelSettings:',
    '    - port: {number: 443}',
    '      tls: {mode: MUTUAL, credentialName: port-cred}',
    '  subsets:',
    '  - name: v1',
    '    labels: {version: v1}',
    '    trafficPolicy:',
    '      tls: {mode: MUTUAL, credentialName: subset-cred}',
    '      portLevelSettings:',
    '      - port: {number: 8443}',
    '        tls: {mode: MUTUAL, credentialName: subset-port-cred}',
    '',
  ].join('\n')),
  // SIMPLE needs the CA alone, which any proxy of the namespace may have: no key.
  rule('simple', 'shop', '{app: cart}', '  trafficPolicy:\n    tls: {mode: SIMPLE, credentialName: simple-cred}\n'),
  // No workloadSelector: gateways only (Istio leaves a sidecar's cluster without TLS).
  rule('unselected', 'shop', undefined, '  trafficPolicy:\n    tls: {mode: MUTUAL, credentialName: unselected-cred}\n'),
  // Another namespace's rule never selects a shop workload.
  rule('elsewhere', 'bank', '{app: cart}', '  trafficPolicy:\n    tls: {mode: MUTUAL, credentialName: elsewhere-cred}\n'),
  rule('configmap', 'shop', '{app: cart}', '  trafficPolicy:\n    tls: {mode: MUTUAL, credentialName: "configmap://shop/roots"}\n'),
].join('---\n');

test('a sidecar may have the keys of MUTUAL credentials named by rules in its namespace that select it', () => {
  const { snapshot } = snapshotFromYaml(CONFIG);
  const rules = snapshot.destinationRules();
  assert.equal(rules.length, 6);
  const names = (namespace: string, labels?: Record<string, string>): string[] => [...sidecarCredentialNames(rules, { namespace, ...(labels ? { labels } : {}) })].sort();
  assert.deepEqual(names('shop', { app: 'cart', tier: 'web' }), ['port-cred', 'subset-cred', 'subset-port-cred', 'top-cred']);
  assert.deepEqual(names('shop', { app: 'cart' }), ['top-cred'], 'a selector wants every label it names');
  assert.deepEqual(names('shop', { app: 'ledger' }), []);
  assert.deepEqual(names('bank', { app: 'ledger' }), []);
  assert.deepEqual(names('bank', { app: 'cart' }), ['elsewhere-cred']);
  assert.deepEqual(names('shop'), [], 'a proxy without labels is selected by no rule');
});
