import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, listener, mesh, service, sidecar, translate } from './helpers';
import { effectivePolicy } from '../../src/translate/traffic-policy/effective';
import type { DestinationRule } from '../../src/model/types';
import type { EnvoyJson } from '../../src/translate/types';

function rule(spec: DestinationRule['spec']): DestinationRule {
  return { kind: 'DestinationRule', apiVersion: 'networking.istio.io/v1', meta: { name: 'r', namespace: 'default', labels: {}, annotations: {} }, origin: {}, spec };
}

test('subset and port-level settings override the rule the way Istio merges them', () => {
  const dr = rule({
    host: 'reviews',
    trafficPolicy: {
      loadBalancer: { simple: 'LEAST_REQUEST' },
      outlierDetection: { consecutive5xxErrors: 5 },
      tls: { mode: 'ISTIO_MUTUAL' },
      portLevelSettings: [{ port: { number: 9443 }, loadBalancer: { simple: 'RANDOM' } }],
    },
    subsets: [
      { name: 'a', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' }, tls: { mode: 'DISABLE' } } },
      { name: 'b', trafficPolicy: { portLevelSettings: [{ port: { number: 9080 }, connectionPool: { tcp: { maxConnections: 1 } } }] } },
    ],
  });
  const [a, b] = dr.spec.subsets!;
  const mtls = { mode: 'ISTIO_MUTUAL' } as const;
  assert.deepEqual(effectivePolicy(dr, 9080), { connectionPool: undefined, loadBalancer: { simple: 'LEAST_REQUEST' }, outlierDetection: { consecutive5xxErrors: 5 }, tls: mtls });
  // Port-level settings replace the whole policy: the rule's outlier detection and TLS are gone on 9443.
  assert.deepEqual(effectivePolicy(dr, 9443), { connectionPool: undefined, loadBalancer: { simple: 'RANDOM' }, outlierDetection: undefined, tls: undefined });
  assert.deepEqual(effectivePolicy(dr, 9080, a), { connectionPool: undefined, loadBalancer: { simple: 'ROUND_ROBIN' }, outlierDetection: { consecutive5xxErrors: 5 }, tls: { mode: 'DISABLE' } });
  assert.deepEqual(effectivePolicy(dr, 9080, b), { connectionPool: { tcp: { maxConnections: 1 } }, loadBalancer: undefined, outlierDetection: undefined, tls: undefined });
  // A subset without port-level settings keeps the rule's TLS.
  assert.deepEqual(effectivePolicy(dr, 9443, b).tls, undefined);
  assert.deepEqual(effectivePolicy(dr, 9081, b).tls, mtls);
});

test('http2 and grpc ports speak HTTP/2 upstream; a pool limit keeps the rest unlimited', () => {
  const dr = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: default}
spec:
  host: echo
  trafficPolicy:
    connectionPool:
      http: {http2MaxRequests: 50, maxConcurrentStreams: 10}`;
  const set = translate(mesh(service('echo', 'default', '[{name: grpc, port: 50051}]'), dr), sidecar());
  const c = cluster(set, 'outbound|50051||echo.default.svc.cluster.local');
  assert.deepEqual((c.circuit_breakers as EnvoyJson).thresholds, [
    { max_connections: 4294967295, max_pending_requests: 4294967295, max_requests: 50, max_retries: 4294967295, track_remaining: true },
  ]);
  const options = (c.typed_extension_protocol_options as Record<string, EnvoyJson>)['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']!;
  assert.deepEqual(options.explicit_http_config, { http2_protocol_options: { max_concurrent_streams: 10 } });
});

const REVIEWS_POD = `apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1}}
spec:
  containers:
  - name: reviews
    ports: [{name: http, containerPort: 9080}]
status: {podIP: 127.0.1.3}`;

const reviewsSidecar = sidecar({ labels: { app: 'reviews', version: 'v1' }, ips: ['127.0.1.3'], localAddress: '127.0.2.3' });

test('named target ports resolve through the pod; unknown names are skipped', () => {
  const ports = '[{name: http, port: 9080, targetPort: http}, {name: http-metrics, port: 15020, targetPort: metrics}]';
  const set = translate(mesh(service('reviews', 'default', ports), REVIEWS_POD), reviewsSidecar);
  const inbound = set.clusters.filter((c) => c.name.startsWith('inbound|')).map((c) => c.name);
  assert.deepEqual(inbound, ['inbound|9080||']);
  const endpoint = JSON.stringify(cluster(set, 'inbound|9080||').load_assignment);
  assert.ok(endpoint.includes('"address":"127.0.2.3","port_value":9080'));
});

test('only services of the proxy namespace whose selector it matches are inbound', () => {
  const snapshot = mesh(
    service('reviews'),
    service('reviews', 'other'),
    service('everything', 'default', '[{name: http, port: 80, targetPort: 8080}]').replace('selector: {app: everything}', 'selector: {}'),
  );
  const set = translate(snapshot, reviewsSidecar);
  assert.deepEqual(set.clusters.filter((c) => c.name.startsWith('inbound|')).map((c) => c.name), ['inbound|9080||']);
});

test('without capture virtualInbound binds the pod IP on every target port; under capture only 15006', () => {
  const snapshot = mesh(service('reviews'), REVIEWS_POD);
  const none = listener(translate(snapshot, { ...reviewsSidecar, interceptionMode: 'NONE', outboundAddress: '127.0.3.3' }), 'virtualInbound');
  assert.deepEqual(none.address, { socket_address: { address: '127.0.1.3', port_value: 15006 } });
  assert.deepEqual(none.additional_addresses, [{ address: { socket_address: { address: '127.0.1.3', port_value: 9080 } } }]);
  const redirect = listener(translate(snapshot, reviewsSidecar), 'virtualInbound');
  assert.deepEqual(redirect.address, { socket_address: { address: '0.0.0.0', port_value: 15006 } });
  assert.equal(redirect.additional_addresses, undefined);
});

test('without capture there is no virtualOutbound and port listeners bind the outbound address', () => {
  const set = translate(mesh(service('reviews')), sidecar({ interceptionMode: 'NONE', outboundAddress: '127.0.3.1' }));
  assert.deepEqual(set.listeners.map((l) => l.name), ['127.0.3.1_9080', 'virtualInbound']);
  assert.equal(listener(set, '127.0.3.1_9080').bind_to_port, undefined);
  const capture = translate(mesh(service('reviews')), sidecar());
  assert.deepEqual(capture.listeners.map((l) => l.name), ['0.0.0.0_9080', 'virtualInbound', 'virtualOutbound']);
  assert.equal(listener(capture, '0.0.0.0_9080').bind_to_port, false);
});
