// A Gateway server on a port the gateway proxy keeps for itself (its admin on 15000, say) cannot
// bind; Envoy would reject the listener update whole. It is left out alone, with a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { snapshotFromYaml } from '../../src/model';
import { translate } from '../../src/translate';
import { router } from './helpers';

test('a server on the proxy admin port is not served and is reported; the other servers are', () => {
  const { snapshot, diagnostics } = snapshotFromYaml(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}
  - {port: {number: 15000, name: admin, protocol: HTTP}, hosts: ["*"]}
  - {port: {number: 15090, name: stats, protocol: HTTP}, hosts: ["*"]}`, 'gw.yaml');
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.severity, d.field]),
    [
      ['MAST2102', 'warning', 'spec.servers[1].port.number'],
      ['MAST2102', 'warning', 'spec.servers[2].port.number'],
    ],
  );
  assert.match(diagnostics[0]?.message ?? '', /15000 is the gateway proxy's own \(Envoy's admin interface\)/);
  const set = translate(snapshot, router({ interceptionMode: 'NONE' }));
  assert.deepEqual(set.listeners.map((l) => l.name), ['127.0.4.1_8080']);
  assert.deepEqual(set.routes.map((r) => r.name), ['http.8080']);
});
