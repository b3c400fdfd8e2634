// MAST3003: an ALLOW rule testing HTTP attributes is named where its policy meets TCP ports,
// on which Istio's builder (and Mast's) leaves the rule out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotFromYaml } from '../../src/model';

const MESH = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}, {name: tcp-admin, port: 9090}]
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-0, namespace: default, labels: {app: reviews}}
spec: {containers: [{name: app}]}
status: {podIP: 127.0.1.3}
---
apiVersion: v1
kind: Pod
metadata: {name: ratings-0, namespace: default, labels: {app: ratings}}
spec: {containers: [{name: app}]}
status: {podIP: 127.0.1.6}`;

function findings(policy: string): string[][] {
  return snapshotFromYaml(`${MESH}\n---\n${policy}`, 'mesh.yaml').diagnostics.map((d) => [d.code, d.object?.name ?? '', d.field ?? '', d.message]);
}

function ap(name: string, namespace: string, spec: string): string {
  return `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${spec.replace(/^/gm, '  ')}`;
}

test('an ALLOW rule testing methods or request principals is named with the TCP ports it cannot allow', () => {
  const rules = 'rules:\n- to: [{operation: {methods: [GET]}}]\n- from: [{source: {namespaces: [admin]}}]\n- from: [{source: {requestPrincipals: ["*"]}}]\n  when: [{key: "request.headers[x-a]", values: [b]}]';
  assert.deepEqual(findings(ap('reviews', 'default', `selector: {matchLabels: {app: reviews}}\n${rules}`)), [
    ['MAST3003', 'reviews', 'spec.rules[0]', 'the rule tests methods, which a TCP connection does not show: on the TCP ports of the workloads the policy selects (reviews.default:9090) it is left out, as Istio leaves it out, and allows no connection there'],
    ['MAST3003', 'reviews', 'spec.rules[2]', 'the rule tests requestPrincipals, request.headers[x-a], which a TCP connection does not show: on the TCP ports of the workloads the policy selects (reviews.default:9090) it is left out, as Istio leaves it out, and allows no connection there'],
  ]);
  // The root namespace's policy selects every workload.
  assert.deepEqual(findings(ap('mesh', 'istio-system', 'rules: [{to: [{operation: {paths: [/x]}}]}]')).map((f) => f.slice(0, 3)), [['MAST3003', 'mesh', 'spec.rules[0]']]);
});

test('nothing to say where the policy meets only HTTP ports, for DENY (Istio warns itself) or for rules a connection can be judged by', () => {
  assert.deepEqual(findings(ap('ratings', 'default', 'selector: {matchLabels: {app: ratings}}\nrules: [{to: [{operation: {methods: [GET]}}]}]')), []);
  assert.deepEqual(findings(ap('other-ns', 'other', 'rules: [{to: [{operation: {methods: [GET]}}]}]')), []);
  assert.deepEqual(findings(ap('ports', 'default', 'rules: [{to: [{operation: {ports: ["9090"]}}], from: [{source: {principals: [a/ns/b/sa/c]}}]}]')), []);
  assert.deepEqual(findings(ap('deny', 'default', 'action: DENY\nrules: [{to: [{operation: {methods: [GET]}}]}]')).map((f) => f[0]), ['MAST2041']);
});
