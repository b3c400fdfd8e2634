// The Telemetry kind in the model: read at telemetry.istio.io v1 and v1alpha1, checked as Istio's
// ValidateTelemetry checks it (each case states what Istio decides at the pinned revision,
// pkg/config/validation/validation.go and validation_istiod.go), and fields Mast does not
// translate named (MAST1008), and two for one workload reported (MAST3013).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { snapshotFromYaml } from '../../src/model';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from '../../src/model/mesh-config';
import { telemetryProviderFindings } from '../../src/model/validate/telemetry-providers';
import { parseObject } from '../../src/model/parse/object';
import type { Finding, Raw } from './validation-cases';

function telemetry(spec: Raw, apiVersion = 'telemetry.istio.io/v1'): Finding[] {
  const raw = { apiVersion, kind: 'Telemetry', metadata: { name: 't', namespace: 'default' }, spec };
  return parseObject(raw, { file: 'test.yaml' }, { domain: 'cluster.local' }).diagnostics.map((d) => [d.code, d.field]);
}

describe('Telemetry (ValidateTelemetry)', () => {
  test('is read at v1 and v1alpha1 and nowhere else', () => {
    const spec = { accessLogging: [{ providers: [{ name: 'envoy' }] }] };
    assert.deepEqual(telemetry(spec), []);
    assert.deepEqual(telemetry(spec, 'telemetry.istio.io/v1alpha1'), []);
    assert.deepEqual(telemetry(spec, 'telemetry.istio.io/v1beta1'), [['MAST1004', undefined]]);
  });

  test('a provider needs a name (Istio\'s schema says so first)', () => {
    assert.deepEqual(telemetry({ accessLogging: [{ providers: [{ name: '' }] }] }), [['MAST1006', 'spec.accessLogging[0].providers[0].name']]);
  });

  test('a filter expression must parse as CEL', () => {
    assert.deepEqual(telemetry({ accessLogging: [{ filter: { expression: 'response.code >= 400' } }] }), []);
    assert.deepEqual(telemetry({ accessLogging: [{ filter: { expression: 'response.code >=' } }] }), [['MAST2058', 'spec.accessLogging[0].filter.expression']]);
    assert.deepEqual(telemetry({ accessLogging: [{ filter: { expression: '' } }] }), [['MAST2058', 'spec.accessLogging[0].filter.expression']]);
  });

  test('selector and targetRefs: not both, labels without wildcards', () => {
    const logging = { accessLogging: [{ disabled: true }] };
    assert.deepEqual(telemetry({ ...logging, selector: { matchLabels: { app: 'reviews' } } }), []);
    assert.deepEqual(telemetry({ ...logging, selector: { matchLabels: { app: 'rev*' } } }), [['MAST2038', 'spec.selector.matchLabels.app']]);
    const both = telemetry({ ...logging, selector: { matchLabels: { app: 'a' } }, targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }] });
    assert.deepEqual(both, [['MAST2038', 'spec.selector']]);
  });

  test('tracing: sampling is a percentage, tags need names and values; several tracing entries or providers are Istio warnings', () => {
    const fields = (f: Finding[]) => f.filter(([code]) => code !== 'MAST1008');
    assert.deepEqual(fields(telemetry({ tracing: [{ randomSamplingPercentage: 101 }] })), [['MAST1006', 'spec.tracing[0].randomSamplingPercentage']]);
    assert.deepEqual(fields(telemetry({ tracing: [{ customTags: { a: { literal: { value: '' } } } }] })), [['MAST1006', 'spec.tracing[0].customTags.a.literal.value']]);
    assert.deepEqual(fields(telemetry({ tracing: [{ customTags: { '': { literal: { value: 'x' } } } }] })), [['MAST2057', 'spec.tracing[0].customTags']]);
    assert.deepEqual(fields(telemetry({ tracing: [{ providers: [{ name: 'a' }, { name: 'b' }] }] })), [['MAST2041', 'spec.tracing[0].providers']]);
    assert.deepEqual(fields(telemetry({ tracing: [{}, {}] })), [['MAST2041', 'spec.tracing']]);
  });

  test('metrics: tag overrides as Istio checks them', () => {
    const fields = (f: Finding[]) => f.filter(([code]) => code !== 'MAST1008');
    const override = (o: Raw) => fields(telemetry({ metrics: [{ overrides: [o] }] }));
    assert.deepEqual(override({ tagOverrides: { a: { operation: 'UPSERT', value: 'x' } } }), []);
    assert.deepEqual(override({ tagOverrides: { a: { operation: 'UPSERT' } } }), [['MAST2057', 'spec.metrics[0].overrides[0].tagOverrides.a']]);
    assert.deepEqual(override({ tagOverrides: { a: { operation: 'REMOVE', value: 'x' } } }), [['MAST2057', 'spec.metrics[0].overrides[0].tagOverrides.a']]);
  });

  test('fields Mast does not translate are named, not ignored silently', () => {
    const unsupported = telemetry({ metrics: [{ providers: [{ name: 'prometheus' }] }] }).filter(([code]) => code === 'MAST1008');
    assert.deepEqual(unsupported, [['MAST1008', 'spec.metrics']]);
    const formatter = telemetry({ tracing: [{ customTags: { a: { formatter: { value: '%REQ(:PATH)%' } }, b: { literal: { value: 'x' } } } }] });
    assert.deepEqual(formatter, [['MAST1008', 'spec.tracing[0].customTags.a.formatter']]);
  });
});

test('two Telemetries for one workload are reported (MAST3013), as Istio\'s analyzers do (IST0160, IST0159)', () => {
  const doc = (kind: string, name: string, spec: object, extra: object = {}) => JSON.stringify({ apiVersion: kind === 'Pod' ? 'v1' : 'telemetry.istio.io/v1', kind, metadata: { namespace: 'shop', name, ...extra }, spec });
  const yaml = [
    doc('Telemetry', 'a-wide', { accessLogging: [{ disabled: true }] }),
    doc('Telemetry', 'b-wide', { accessLogging: [{ disabled: false }] }),
    doc('Telemetry', 'c-cart', { selector: { matchLabels: { app: 'cart' } }, accessLogging: [{ disabled: true }] }),
    doc('Telemetry', 'd-cart-v2', { selector: { matchLabels: { version: 'v2' } }, accessLogging: [{ disabled: false }] }),
    doc('Telemetry', 'e-other', { selector: { matchLabels: { app: 'other' } }, accessLogging: [{ disabled: false }] }),
    doc('Pod', 'cart-v2', {}, { labels: { app: 'cart', version: 'v2' } }),
  ].join('\n---\n');
  const found = snapshotFromYaml(yaml).diagnostics.filter((d) => d.code === 'MAST3013').map((d) => [d.object?.name, d.field]);
  assert.deepEqual(found, [['b-wide', 'spec'], ['d-cart-v2', 'spec.selector']]);
});

test('a provider that does nothing where a Telemetry names it is reported (MAST3012)', () => {
  const mesh: MeshConfig = {
    ...DEFAULT_MESH_CONFIG,
    extensionProviders: [
      ...DEFAULT_MESH_CONFIG.extensionProviders,
      { name: 'zipkin', kind: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411, traceContextOption: 'USE_B3_WITH_W3C_PROPAGATION' } },
      { name: 'lost', kind: 'opentelemetry', opentelemetry: { service: 'nowhere.example', port: 4317 } },
    ],
  };
  const yaml = [
    JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'istio-system', name: 'zipkin' }, spec: { clusterIP: '10.96.0.9', ports: [{ name: 'http', port: 9411 }] } }),
    JSON.stringify({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { namespace: 'default', name: 't' }, spec: { accessLogging: [{ providers: [{ name: 'envoy' }, { name: 'missing' }, { name: 'zipkin' }] }], tracing: [{ providers: [{ name: 'zipkin' }] }] } }),
    JSON.stringify({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { namespace: 'other', name: 't' }, spec: { tracing: [{ providers: [{ name: 'lost' }] }] } }),
    JSON.stringify({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { namespace: 'third', name: 't' }, spec: { tracing: [{ providers: [{ name: 'envoy' }] }] } }),
  ].join('\n---\n');
  const { snapshot } = snapshotFromYaml(yaml);
  const found = telemetryProviderFindings(snapshot.telemetries(), mesh, (h) => snapshot.serviceByHost(h)).map((d) => [`${d.object?.namespace}/${d.field}`, d.message.split(' ').slice(0, 4).join(' ')]);
  assert.deepEqual(found, [
    ['default/spec.accessLogging[0].providers[1].name', 'no MeshConfig extensionProvider is'],
    ['default/spec.accessLogging[0].providers[2].name', 'extension provider zipkin is'],
    ['default/spec.tracing[0].providers[0].name', 'extension provider zipkin sets'],
    ['other/spec.tracing[0].providers[0].name', 'extension provider lost sends'],
    ['third/spec.tracing[0].providers[0].name', 'extension provider envoy is'],
  ]);
});
