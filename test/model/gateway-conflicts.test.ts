// Two Gateways claiming one port or host of one gateway workload (src/model/validate/gateway-
// conflicts.ts, Istio's mergeGateways and its analyzer's IST0145): the older Gateway keeps it, by
// creation time; the newer one's server is reported (MAST3007) and, where Istio skips it, not served.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotFromYaml } from '../../src/model';
import { translate } from '../../src/translate';
import type { EnvoyJson } from '../../src/translate/types';

function gateway(name: string, created: string, server: string, selector = '{istio: ingressgateway}'): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: istio-system, creationTimestamp: "${created}"}
spec:
  selector: ${selector}
  servers: [${server}]`;
}

const https = (host: string, cred: string): string => `{port: {number: 443, name: https-${cred}, protocol: HTTPS}, hosts: ["${host}"], tls: {mode: SIMPLE, credentialName: ${cred}}}`;
const http = (host: string): string => `{port: {number: 80, name: http, protocol: HTTP}, hosts: ["${host}"]}`;
const findings = (...docs: string[]): [string, string | undefined, string | undefined][] =>
  snapshotFromYaml(docs.join('\n---\n')).diagnostics.map((d) => [d.code, d.object?.name, d.field]);

test('one SNI host on one port: the older Gateway by creation time keeps it, whatever the names', () => {
  const older = gateway('zz-older', '2024-01-01T00:00:00Z', https('shop.example.com', 'old-cert'));
  const newer = gateway('aa-newer', '2024-06-01T00:00:00Z', https('shop.example.com', 'new-cert'));
  assert.deepEqual(findings(older, newer), [['MAST3007', 'aa-newer', 'spec.servers[0].hosts']]);
  // What the gateway serves: the older Gateway's certificate for the host.
  const { snapshot } = snapshotFromYaml([older, newer].join('\n---\n'));
  const set = translate(snapshot, { role: 'router', namespace: 'istio-system', labels: { istio: 'ingressgateway' }, ips: ['127.0.4.1'], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.4.1' });
  const listener = set.listeners.find((l) => l.name === '127.0.4.1_443')!.json as EnvoyJson;
  const chains = listener.filter_chains as EnvoyJson[];
  assert.equal(chains.length, 1);
  assert.match(JSON.stringify(chains[0]), /kubernetes:\/\/old-cert/);
});

test('a plain HTTP server on a port an older Gateway serves with TLS is not served there, and says so', () => {
  const tls = gateway('tls', '2024-01-01T00:00:00Z', https('*', 'cert').replace('443', '8443'));
  const plain = gateway('plain', '2024-02-01T00:00:00Z', http('*').replace('80,', '8443,'));
  const got = snapshotFromYaml([tls, plain].join('\n---\n')).diagnostics;
  assert.deepEqual(got.map((d) => [d.code, d.object?.name, d.field]), [['MAST3007', 'plain', 'spec.servers[0].port']]);
  assert.match(got[0]!.message, /port 8443 .* already HTTPS .* by Gateway istio-system\/tls \(older\); this server is not served there/);
});

test('plain HTTP servers naming one host are both served (merged), with a warning; other hosts or workloads do not conflict', () => {
  const a = gateway('a', '2024-01-01T00:00:00Z', http('shop.example.com'));
  const b = gateway('b', '2024-02-01T00:00:00Z', http('shop.example.com'));
  const other = gateway('c', '2024-03-01T00:00:00Z', http('other.example.com'));
  const egress = gateway('d', '2024-04-01T00:00:00Z', http('shop.example.com'), '{istio: egressgateway}');
  const got = snapshotFromYaml([a, b, other, egress].join('\n---\n')).diagnostics;
  assert.deepEqual(got.map((d) => [d.code, d.object?.name, d.field]), [['MAST3007', 'b', 'spec.servers[0].hosts']]);
  assert.match(got[0]!.message, /both are served/);
});

test('different selectors that pick one Pod conflict on that Pod', () => {
  const pod = `apiVersion: v1
kind: Pod
metadata: {name: gw-0, namespace: istio-system, labels: {istio: ingressgateway, app: gw}}
spec: {containers: [{name: istio-proxy, image: envoy}]}
status: {podIP: 10.1.0.9}`;
  const a = gateway('a', '2024-01-01T00:00:00Z', https('shop.example.com', 'a'));
  const b = gateway('b', '2024-02-01T00:00:00Z', https('shop.example.com', 'b'), '{app: gw}');
  assert.deepEqual(findings(a, b), [], 'no workload has both labels');
  assert.deepEqual(findings(pod, a, b), [['MAST3007', 'b', 'spec.servers[0].hosts']]);
});

test("no conflict where Istio's analyzer sees none: hosts in different namespaces' scope, or a second selector no Pod answers", () => {
  const teamA = gateway('a', '2024-01-01T00:00:00Z', http('team-a/*'));
  const teamB = gateway('b', '2024-02-01T00:00:00Z', http('team-b/*'));
  assert.deepEqual(findings(teamA, teamB), [], 'team-a/* and team-b/* are different hosts');
  const pod = `apiVersion: v1
kind: Pod
metadata: {name: gw-0, namespace: istio-system, labels: {istio: ingressgateway}}
spec: {containers: [{name: istio-proxy, image: envoy}]}
status: {podIP: 10.1.0.9}`;
  const wide = gateway('wide', '2024-01-01T00:00:00Z', http('*'));
  const narrow = gateway('narrow', '2024-02-01T00:00:00Z', http('*'), '{istio: ingressgateway, app: x}');
  assert.deepEqual(findings(pod, wide, narrow), [], 'no Pod has app: x');
  assert.deepEqual(findings(wide, narrow), [], 'different selectors meet only on a Pod');
});
