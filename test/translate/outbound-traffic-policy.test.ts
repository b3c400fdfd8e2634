// Which outbound traffic policy a proxy has (src/translate/outbound-traffic-policy.ts, Istio's
// initSidecarScopeInternalIndexes): the Sidecar that applies to it beats the mesh config; a Sidecar
// that sets the policy without a mode is REGISTRY_ONLY (the enum's zero value); no Sidecar, or
// one without the policy, leaves the mesh's (ALLOW_ANY unless the mesh config says otherwise).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotFromYaml } from '../../src/model';
import { outboundTrafficPolicyMode } from '../../src/translate/outbound-traffic-policy';
import { meshConfigMap } from '../support/mesh-config-map';

const sidecar = (name: string, namespace: string, policy: string, selector = ''): string => `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  ${selector ? `workloadSelector: {labels: ${selector}}\n  ` : ''}egress: [{hosts: ["*/*"]}]
  ${policy}
`;

const mode = (yaml: string, namespace: string, labels: Record<string, string>, mesh?: 'ALLOW_ANY' | 'REGISTRY_ONLY'): string =>
  outboundTrafficPolicyMode(snapshotFromYaml(mesh ? `${yaml}---\n${meshConfigMap(`outboundTrafficPolicy: {mode: ${mesh}}`)}` : yaml, 'test.yaml').snapshot, { namespace, labels });

test("a Sidecar's outboundTrafficPolicy beats the mesh's, in either direction; without one the mesh's holds", () => {
  const docs = [
    sidecar('open', 'a', 'outboundTrafficPolicy: {mode: ALLOW_ANY}'),
    sidecar('closed', 'b', 'outboundTrafficPolicy: {mode: REGISTRY_ONLY}'),
    sidecar('zero', 'c', 'outboundTrafficPolicy: {}'),
    sidecar('silent', 'd', ''),
    sidecar('vm', 'a', 'outboundTrafficPolicy: {mode: REGISTRY_ONLY}', '{app: vm}'),
  ].join('---\n');
  assert.equal(mode(docs, 'a', { app: 'web' }, 'REGISTRY_ONLY'), 'ALLOW_ANY');
  assert.equal(mode(docs, 'a', { app: 'vm' }, 'REGISTRY_ONLY'), 'REGISTRY_ONLY', 'the selecting Sidecar beats the namespace one');
  assert.equal(mode(docs, 'b', {}, 'ALLOW_ANY'), 'REGISTRY_ONLY');
  assert.equal(mode(docs, 'c', {}, 'ALLOW_ANY'), 'REGISTRY_ONLY');
  assert.equal(mode(docs, 'd', {}, 'REGISTRY_ONLY'), 'REGISTRY_ONLY');
  assert.equal(mode(docs, 'd', {}), 'ALLOW_ANY');
  assert.equal(mode(docs, 'elsewhere', {}, 'REGISTRY_ONLY'), 'REGISTRY_ONLY');
});
