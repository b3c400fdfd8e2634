// DestinationRule `tunnel`: a sidecar's tcp_proxy to the host carries tunneling_config (golden
// dr-tunnel has the subset and weighted cases); gateways never do (Istio's tunnelingconfig.Skip),
// and a rule selecting one workload tunnels that workload's connections alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translate } from '../../src/translate';
import type { ProxyClass } from '../../src/translate/types';
import { mesh, router, service, sidecar } from './helpers';

const TCP = '[{name: tcp, port: 3306}]';

function rule(name: string, extra = ''): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: default}
spec:
  host: mysql.default.svc.cluster.local
${extra}  trafficPolicy:
    tunnel: {targetHost: ${name}.example.com, targetPort: 8443}`;
}

const gateway = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tcp, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 3306, name: tcp, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mysql, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [tcp]
  tcp:
  - route:
    - destination: {host: mysql.default.svc.cluster.local}`;

function tunnels(docs: string[], proxy: ProxyClass): string[] {
  const listeners = JSON.stringify(translate(mesh(...docs), proxy).listeners);
  return [...listeners.matchAll(/"tunneling_config":\{"hostname":"([^"]+)"/g)].map((m) => m[1]!);
}

test("a sidecar's connections to the host are tunnelled; a gateway's are not", () => {
  const docs = [service('mysql', 'default', TCP), rule('everyone'), gateway];
  assert.deepEqual(tunnels(docs, sidecar()), ['everyone.example.com:8443']);
  assert.deepEqual(tunnels(docs, router()), []);
});

test('a rule selecting a workload gives that workload its tunnel', () => {
  const docs = [service('mysql', 'default', TCP), rule('everyone'), rule('selected', '  workloadSelector: {matchLabels: {app: productpage}}\n')];
  assert.deepEqual(tunnels(docs, sidecar({ labels: { app: 'productpage' } })), ['selected.example.com:8443']);
  assert.deepEqual(tunnels(docs, sidecar({ labels: { app: 'details' } })), ['everyone.example.com:8443']);
});
