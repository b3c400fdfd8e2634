// Tracing as Istio configures it (pilot/pkg/model/telemetry.go Telemetries.Tracing;
// pilot/pkg/networking/core/tracing.go): the provider from MeshConfig extensionProviders (Zipkin,
// OpenTelemetry over OTLP/gRPC) sending to its collector Service's outbound cluster, Telemetry
// randomSamplingPercentage, customTags and disableSpanReporting by level and side, and the
// result encodable against the Envoy API Mast speaks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { snapshotFromYaml } from '../../src/model';
import { DEFAULT_MESH_CONFIG } from '../../src/model/mesh-config';
import type { TelemetryMesh } from '../../src/translate/telemetry/mesh';
import { translate } from '../../src/translate';
import { tracingPlan } from '../../src/translate/telemetry/tracing';
import type { EnvoyJson } from '../../src/translate/types';
import { encodeMessage } from '../../src/xds/encode';

const doc = (o: object) => JSON.stringify(o);
const COLLECTORS = [
  doc({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'observability', name: 'jaeger' }, spec: { clusterIP: '10.96.0.90', ports: [{ name: 'http-zipkin', port: 9411 }, { name: 'grpc-otlp', port: 4317 }] } }),
];
const telemetry = (namespace: string, name: string, spec: object) => doc({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { namespace, name }, spec });

const MESH: TelemetryMesh = {
  ...DEFAULT_MESH_CONFIG,
  extensionProviders: [
    ...DEFAULT_MESH_CONFIG.extensionProviders,
    { name: 'zipkin', kind: 'zipkin', zipkin: { service: 'jaeger.observability.svc.cluster.local', port: 9411 } },
    { name: 'otel', kind: 'opentelemetry', opentelemetry: { service: 'observability/jaeger.observability.svc.cluster.local', port: 4317, maxTagLength: 99 } },
    { name: 'nowhere', kind: 'zipkin', zipkin: { service: 'zipkin.missing.svc.cluster.local', port: 9411 } },
  ],
};

function plan(docs: string[], mode: 'CLIENT' | 'SERVER' = 'CLIENT', mesh = MESH, labels: Record<string, string> = { app: 'reviews' }) {
  const { snapshot, diagnostics } = snapshotFromYaml([...COLLECTORS, ...docs].join('\n---\n'));
  // Providers that trace nothing are reported (MAST3012, test/model/telemetry.test.ts), with the default mesh config.
  assert.deepEqual(diagnostics.filter((d) => d.code !== 'MAST3012'), []);
  return tracingPlan(snapshot, mesh, { namespace: 'default', labels, serviceCluster: 'reviews.default' }, mode);
}

const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
/** The plan's tracing inside an HCM, through Mast's encoder (which refuses fields its Envoy API lacks). */
function encodes(tracing: EnvoyJson): void {
  assert.doesNotThrow(() => encodeMessage(HCM, { stat_prefix: 'x', rds: { route_config_name: 'r', config_source: { ads: {} } }, tracing }));
}

describe('tracing', () => {
  test('none unless a Telemetry or the mesh\'s default providers ask for it', () => {
    assert.equal(plan([]), undefined);
  });

  test('Zipkin: the collector Service\'s outbound cluster, JSON v2 spans, 128-bit ids; Istio\'s 1% sampling by default', () => {
    const p = plan([telemetry('istio-system', 'mesh', { tracing: [{ providers: [{ name: 'zipkin' }] }] })]);
    assert.ok(p);
    const t = p.tracing;
    assert.deepEqual(t.random_sampling, { value: 1 });
    assert.deepEqual([t.client_sampling, t.overall_sampling], [{ value: 100 }, { value: 100 }]);
    assert.deepEqual(t.provider, {
      name: 'envoy.tracers.zipkin',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig',
        collector_cluster: 'outbound|9411||jaeger.observability.svc.cluster.local',
        collector_endpoint: '/api/v2/spans',
        collector_hostname: 'jaeger.observability.svc.cluster.local',
        collector_endpoint_version: 'HTTP_JSON',
        trace_id_128bit: true,
        shared_span_context: false,
      },
    });
    assert.deepEqual((t.custom_tags as EnvoyJson[]).map((c) => c.tag), ['istio.canonical_revision', 'istio.canonical_service', 'istio.cluster_id', 'istio.mesh_id', 'istio.namespace']);
    assert.deepEqual(p.sources, ['Telemetry/istio-system/mesh']);
    encodes(t);
  });

  test('OpenTelemetry over gRPC: the collector by ns/host, the proxy\'s service name, max tag length', () => {
    const p = plan([telemetry('istio-system', 'mesh', { tracing: [{ providers: [{ name: 'otel' }], randomSamplingPercentage: 100 }] })]);
    assert.ok(p);
    assert.deepEqual(p.tracing.provider, {
      name: 'envoy.tracers.opentelemetry',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
        grpc_service: { envoy_grpc: { cluster_name: 'outbound|4317||jaeger.observability.svc.cluster.local', authority: 'jaeger.observability.svc.cluster.local' } },
        service_name: 'reviews.default',
      },
    });
    assert.equal(p.tracing.max_path_tag_length, 99);
    assert.deepEqual(p.tracing.random_sampling, { value: 100 });
    encodes(p.tracing);
  });

  test('workload > namespace > root: sampling, custom tags and disableSpanReporting override by level and side', () => {
    const root = telemetry('istio-system', 'mesh', { tracing: [{ providers: [{ name: 'zipkin' }], randomSamplingPercentage: 10 }] });
    const ns = telemetry('default', 'ns', { tracing: [{ randomSamplingPercentage: 0, customTags: { team: { literal: { value: 'books' } }, user: { header: { name: 'x-user', defaultValue: 'anon' } } } }] });
    const serverOff = telemetry('default', 'reviews', { selector: { matchLabels: { app: 'reviews' } }, tracing: [{ match: { mode: 'SERVER' }, disableSpanReporting: true }] });
    assert.deepEqual(plan([root])?.tracing.random_sampling, { value: 10 });
    const client = plan([root, ns, serverOff], 'CLIENT');
    assert.deepEqual(client?.tracing.random_sampling, { value: 0 }, '0% samples nothing, and is not "unset"');
    const tags = client?.tracing.custom_tags as EnvoyJson[];
    assert.deepEqual(tags.find((t) => t.tag === 'team'), { tag: 'team', literal: { value: 'books' } });
    assert.deepEqual(tags.find((t) => t.tag === 'user'), { tag: 'user', request_header: { name: 'x-user', default_value: 'anon' } });
    assert.equal(plan([root, ns, serverOff], 'SERVER'), undefined, 'span reporting is off on the server side of reviews');
    assert.ok(plan([root, ns, serverOff], 'SERVER', MESH, { app: 'ratings' }), 'and on for other workloads');
    encodes(client!.tracing);
  });

  test('a provider that cannot trace, is not defined, or names a collector the registry lacks gives no tracing', () => {
    const with_ = (name: string) => plan([telemetry('default', 't', { tracing: [{ providers: [{ name }] }] })]);
    assert.equal(with_('envoy'), undefined, 'a file access log provider');
    assert.equal(with_('undefined-provider'), undefined);
    assert.equal(with_('nowhere'), undefined);
  });

  test('no tracing when the proxy is not sent the collector\'s cluster: a port the Service lacks, a Service not exported to the proxy (Envoy would refuse the listener)', () => {
    const mesh = (port: number): TelemetryMesh => ({ ...MESH, extensionProviders: [...MESH.extensionProviders, { name: 'p', kind: 'zipkin', zipkin: { service: 'jaeger.observability.svc.cluster.local', port } }] });
    const tel = telemetry('istio-system', 'mesh', { tracing: [{ providers: [{ name: 'p' }] }] });
    assert.ok(plan([tel], 'CLIENT', mesh(9411)), 'a port the Service has');
    assert.equal(plan([tel], 'CLIENT', mesh(9999)), undefined, 'a port it lacks');
    const collectorEntry = (exportTo: string[]) => doc({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { namespace: 'observability', name: 'collector' }, spec: { hosts: ['collector.observability.example'], exportTo, location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ name: 'http-zipkin', number: 9411, protocol: 'HTTP' }] } });
    const hiddenMesh: TelemetryMesh = { ...MESH, extensionProviders: [...MESH.extensionProviders, { name: 'p', kind: 'zipkin', zipkin: { service: 'collector.observability.example', port: 9411 } }] };
    assert.ok(plan([collectorEntry(['*']), tel], 'CLIENT', hiddenMesh), 'a ServiceEntry exported to all');
    assert.equal(plan([collectorEntry(['.']), tel], 'CLIENT', hiddenMesh), undefined, 'exported to its own namespace only');
  });

  test('MeshConfig defaultProviders.tracing traces without a Telemetry, at defaultConfig.tracing.sampling', () => {
    const mesh = { ...MESH, defaultProviders: { accessLogging: [], tracing: ['zipkin'] }, defaultConfig: { tracing: { sampling: 25 } } };
    assert.deepEqual(plan([], 'SERVER', mesh)?.tracing.random_sampling, { value: 25 });
  });
});

describe('tracing through translate()', () => {
  /** Each tracer's collector cluster in `set`'s listeners, and whether `set` has that cluster. */
  function collectors(set: ReturnType<typeof translate>): [string, boolean][] {
    const names = new Set(set.clusters.map((c) => c.name));
    const found: string[] = [];
    JSON.stringify(set.listeners.map((l) => l.json), (key, value: unknown) => {
      if (key === 'collector_cluster' && typeof value === 'string') found.push(value);
      return value;
    });
    return found.map((n) => [n, names.has(n)]);
  }
  const config = doc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'istio-system', name: 'istio' }, data: { mesh: 'extensionProviders: [{name: zipkin, zipkin: {service: jaeger.observability.svc.cluster.local, port: 9411}}]' } });
  const tel = telemetry('istio-system', 'mesh', { tracing: [{ providers: [{ name: 'zipkin' }] }] });
  const app = doc({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'productpage' }, spec: { selector: { app: 'productpage' }, clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 9080 }] } });
  const build = (extra: string[]) => {
    const { snapshot } = snapshotFromYaml([...COLLECTORS, config, tel, app, ...extra].join('\n---\n'));
    return translate(snapshot, { role: 'sidecar', namespace: 'default', labels: { app: 'productpage' }, ips: ['127.0.1.1'], interceptionMode: 'REDIRECT', localAddress: '127.0.0.1', outboundAddress: '0.0.0.0' });
  };

  test('a sidecar traces to a collector cluster it is sent', () => {
    const found = collectors(build([]));
    assert.ok(found.length > 0);
    assert.ok(found.every(([, has]) => has), JSON.stringify(found));
  });

  test('a Sidecar whose egress leaves the collector out gives no tracer, not a listener naming a cluster the proxy lacks', () => {
    const scoped = doc({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { namespace: 'default', name: 'default' }, spec: { egress: [{ hosts: ['./*'] }] } });
    assert.deepEqual(collectors(build([scoped])), []);
  });
});
