// MeshConfig as Mast reads it (src/model/mesh-config.ts): Istio's defaults, each field Mast reads,
// the findings for what it does not, and Istio's own mesh configs (the demo profile) read from the
// pinned istio.io/istio module, with field names checked against istio.io/api's config.proto.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { load } from 'js-yaml';
import { DEFAULT_MESH_CONFIG, MESH_CONFIG_FIELDS, parseMeshConfig, type MeshConfig } from '../../src/model/mesh-config';
import { PROVIDERS, UNSUPPORTED_PROVIDER_KINDS } from '../../src/model/mesh-config-providers';
import { istioModuleDir } from '../conformance/corpus';

function parse(yaml: string): { config?: MeshConfig; findings: string[] } {
  const { config, diagnostics } = parseMeshConfig(yaml, { file: 'mesh.yaml' });
  return { ...(config ? { config } : {}), findings: diagnostics.map((d) => `${d.code} ${d.field ?? ''}`.trim()) };
}

function ok(yaml: string): MeshConfig {
  const { config, findings } = parse(yaml);
  assert.ok(config, `refused: ${findings.join('; ')}`);
  return config;
}

describe('defaults (Istio pkg/config/mesh DefaultMeshConfig)', () => {
  test('an empty document, or an empty mapping, is Istio\'s defaults', () => {
    for (const text of ['', '{}\n', '# nothing\n']) assert.deepEqual(parse(text), { config: DEFAULT_MESH_CONFIG, findings: [] });
    assert.equal(DEFAULT_MESH_CONFIG.outboundTrafficPolicy.mode, 'ALLOW_ANY');
    assert.equal(DEFAULT_MESH_CONFIG.enableTracing, true);
    assert.equal(DEFAULT_MESH_CONFIG.accessLogFile, '');
    assert.equal(DEFAULT_MESH_CONFIG.accessLogEncoding, 'TEXT');
    assert.deepEqual(DEFAULT_MESH_CONFIG.defaultServiceExportTo, ['*']);
    assert.deepEqual(DEFAULT_MESH_CONFIG.defaultVirtualServiceExportTo, ['*']);
    assert.deepEqual(DEFAULT_MESH_CONFIG.defaultDestinationRuleExportTo, ['*']);
    assert.deepEqual(DEFAULT_MESH_CONFIG.defaultConfig, { tracing: { sampling: 1 } });
    assert.deepEqual(
      DEFAULT_MESH_CONFIG.extensionProviders.map((p) => `${p.name}:${p.kind}`),
      ['prometheus:prometheus', 'stackdriver:stackdriver', 'envoy:envoyFileAccessLog'],
    );
    assert.ok(Object.isFrozen(DEFAULT_MESH_CONFIG.extensionProviders));
  });

  test('a field set replaces its default; the others keep theirs', () => {
    const c = ok('accessLogFile: /dev/stdout\n');
    assert.deepEqual(c, { ...DEFAULT_MESH_CONFIG, accessLogFile: '/dev/stdout' });
  });
});

describe('each field', () => {
  test('outboundTrafficPolicy.mode; an empty policy is the enum zero value REGISTRY_ONLY, as jsonpb decodes it', () => {
    assert.equal(ok('outboundTrafficPolicy: {mode: REGISTRY_ONLY}').outboundTrafficPolicy.mode, 'REGISTRY_ONLY');
    assert.equal(ok('outboundTrafficPolicy: {mode: ALLOW_ANY}').outboundTrafficPolicy.mode, 'ALLOW_ANY');
    assert.equal(ok('outboundTrafficPolicy: {}').outboundTrafficPolicy.mode, 'REGISTRY_ONLY');
    const dynamic = parse('outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}');
    assert.equal(dynamic.config?.outboundTrafficPolicy.mode, 'ALLOW_ANY');
    assert.deepEqual(dynamic.findings, ['MAST1015 outboundTrafficPolicy.mode']);
  });

  test('access log fields', () => {
    const c = ok('accessLogFile: /tmp/a.log\naccessLogEncoding: JSON\naccessLogFormat: \'{"m": "%REQ(:METHOD)%"}\'\n');
    assert.equal(c.accessLogFile, '/tmp/a.log');
    assert.equal(c.accessLogEncoding, 'JSON');
    assert.equal(c.accessLogFormat, '{"m": "%REQ(:METHOD)%"}');
  });

  test('enableTracing and defaultConfig.tracing.sampling (0 and unset mean Istio\'s 1%, above 100 is 1% with a warning)', () => {
    assert.equal(ok('enableTracing: false').enableTracing, false);
    assert.equal(ok('defaultConfig: {tracing: {sampling: 100}}').defaultConfig.tracing.sampling, 100);
    assert.equal(ok('defaultConfig: {tracing: {sampling: 0.5}}').defaultConfig.tracing.sampling, 0.5);
    assert.equal(ok('defaultConfig: {tracing: {sampling: 0}}').defaultConfig.tracing.sampling, 1);
    const over = parse('defaultConfig: {tracing: {sampling: 150}}');
    assert.equal(over.config?.defaultConfig.tracing.sampling, 1);
    assert.deepEqual(over.findings, ['MAST2041 defaultConfig.tracing.sampling']);
    // Other ProxyConfig fields are named, not dropped silently.
    assert.deepEqual(parse('defaultConfig: {concurrency: 2, tracing: {zipkin: {address: z:9411}}}').findings, ['MAST1015 defaultConfig.concurrency', 'MAST1015 defaultConfig.tracing.zipkin']);
  });

  test('exportTo defaults: *, ., ~ or namespaces', () => {
    const c = ok('defaultServiceExportTo: [.]\ndefaultVirtualServiceExportTo: ["~"]\ndefaultDestinationRuleExportTo: [istio-system, .]\n');
    assert.deepEqual(c.defaultServiceExportTo, ['.']);
    assert.deepEqual(c.defaultVirtualServiceExportTo, ['~']);
    assert.deepEqual(c.defaultDestinationRuleExportTo, ['istio-system', '.']);
    assert.deepEqual(parse('defaultServiceExportTo: [Not_A_Namespace]').findings, ['MAST2053 defaultServiceExportTo[0]']);
  });

  test('defaultProviders: each list replaces its default; a name no provider has is warned about', () => {
    const c = ok('defaultProviders: {accessLogging: [envoy], tracing: [], metrics: [prometheus]}');
    assert.deepEqual(c.defaultProviders, { accessLogging: ['envoy'], tracing: [], metrics: ['prometheus'] });
    assert.deepEqual(parse('defaultProviders: {tracing: [jaeger]}').findings, ['MAST2041 defaultProviders.tracing']);
  });

  test('extensionProviders: each supported type, merged over the built-ins by name', () => {
    const c = ok(`
extensionProviders:
- name: envoy
  envoyFileAccessLog: {path: /tmp/envoy.log, logFormat: {labels: {code: '%RESPONSE_CODE%'}}}
- name: text-log
  envoyFileAccessLog: {path: /dev/stdout, logFormat: {text: "%REQ(:PATH)%\\n"}, omitEmptyValues: true}
- name: zipkin
  zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411, maxTagLength: 256, enable64bitTraceId: true, path: /api/v2/spans, traceContextOption: USE_B3_WITH_W3C_PROPAGATION, timeout: 2s, headers: [{name: x-a, value: b}, {name: x-key, envName: KEY}]}
- name: otel
  opentelemetry: {service: otel.observability.svc.cluster.local, port: "4317", maxTagLength: 100, grpc: {timeout: 500ms, initialMetadata: [{name: k, value: v}]}, resourceDetectors: {environment: {}}}
- name: otel-http
  opentelemetry: {service: otel.observability.svc.cluster.local, port: 4318, http: {path: /v1/traces, timeout: 1s}}
- name: otel-als
  envoyOtelAls: {service: otel.observability.svc.cluster.local, port: 4317, logName: mesh, logFormat: {text: "%REQ(:PATH)%"}}
- name: prom
  prometheus: {}
`);
    assert.deepEqual(
      c.extensionProviders.map((p) => `${p.name}:${p.kind}`),
      ['prometheus:prometheus', 'stackdriver:stackdriver', 'envoy:envoyFileAccessLog', 'text-log:envoyFileAccessLog', 'zipkin:zipkin', 'otel:opentelemetry', 'otel-http:opentelemetry', 'otel-als:envoyOtelAls', 'prom:prometheus'],
    );
    const byName = new Map(c.extensionProviders.map((p) => [p.name, p]));
    assert.deepEqual(byName.get('envoy'), { name: 'envoy', kind: 'envoyFileAccessLog', envoyFileAccessLog: { path: '/tmp/envoy.log', logFormat: { labels: { code: '%RESPONSE_CODE%' } } } });
    assert.deepEqual(byName.get('zipkin'), {
      name: 'zipkin',
      kind: 'zipkin',
      zipkin: {
        service: 'zipkin.istio-system.svc.cluster.local',
        port: 9411,
        maxTagLength: 256,
        enable64bitTraceId: true,
        path: '/api/v2/spans',
        traceContextOption: 'USE_B3_WITH_W3C_PROPAGATION',
        timeout: 2,
        headers: [{ name: 'x-a', value: 'b' }, { name: 'x-key', envName: 'KEY' }],
      },
    });
    assert.deepEqual(byName.get('otel'), {
      name: 'otel',
      kind: 'opentelemetry',
      opentelemetry: { service: 'otel.observability.svc.cluster.local', port: 4317, maxTagLength: 100, grpc: { timeout: 0.5, initialMetadata: [{ name: 'k', value: 'v' }] }, resourceDetectors: { environment: {} } },
    });
    assert.deepEqual(byName.get('otel-http'), { name: 'otel-http', kind: 'opentelemetry', opentelemetry: { service: 'otel.observability.svc.cluster.local', port: 4318, http: { path: '/v1/traces', timeout: 1 } } });
    assert.deepEqual(byName.get('otel-als'), { name: 'otel-als', kind: 'envoyOtelAls', envoyOtelAls: { service: 'otel.observability.svc.cluster.local', port: 4317, logName: 'mesh', logFormat: { text: '%REQ(:PATH)%' } } });
  });

  test('proto field names (snake_case) are read as protojson reads them', () => {
    const c = ok('access_log_file: /dev/stdout\nextension_providers:\n- name: z\n  zipkin: {service: z.example.com, port: 9411, enable_64bit_trace_id: true}\n');
    assert.equal(c.accessLogFile, '/dev/stdout');
    const z = c.extensionProviders.find((p) => p.name === 'z');
    assert.deepEqual(z, { name: 'z', kind: 'zipkin', zipkin: { service: 'z.example.com', port: 9411, enable64bitTraceId: true } });
  });

  test('a provider type Mast does not translate is kept by name with MAST2054; a later one of a name wins with MAST2041', () => {
    const { config, findings } = parse('extensionProviders:\n- {name: dd, datadog: {service: dd.example.com, port: 8126}}\n- {name: a, prometheus: {}}\n- {name: a, zipkin: {service: z.example.com, port: 9411}}\n');
    assert.deepEqual(findings, ['MAST2054 extensionProviders[0].datadog', 'MAST2041 extensionProviders[2]']);
    assert.deepEqual(config?.extensionProviders.slice(3), [{ name: 'dd', kind: 'datadog' }, { name: 'a', kind: 'zipkin', zipkin: { service: 'z.example.com', port: 9411 } }]);
  });
});

describe('what Mast does not read, and bad input', () => {
  test('any other field is MAST1015 naming it, and the rest is read', () => {
    const { config, findings } = parse('enableAutoMtls: false\nrootNamespace: other\naccessLogFile: /dev/stdout\nnoSuchField: 1\noutboundTrafficPolicy: {mode: REGISTRY_ONLY, egressProxy: {host: x}}\n');
    assert.deepEqual(findings, ['MAST1015 enableAutoMtls', 'MAST1015 rootNamespace', 'MAST1015 noSuchField', 'MAST1015 outboundTrafficPolicy.egressProxy']);
    assert.equal(config?.accessLogFile, '/dev/stdout');
    assert.equal(config?.outboundTrafficPolicy.mode, 'REGISTRY_ONLY');
    assert.match(parseMeshConfig('rootNamespace: x', { file: 'm' }).diagnostics[0]?.message ?? '', /--root-namespace/);
  });

  test('a field of a supported provider that Mast does not read is MAST1015', () => {
    assert.deepEqual(parse('extensionProviders:\n- {name: o, opentelemetry: {service: o.example.com, port: 4317, dynatraceSampler: {tenant: t}}}\n').findings, ['MAST1015 extensionProviders[0].opentelemetry.dynatraceSampler']);
  });

  const refused: [string, string][] = [
    ['outboundTrafficPolicy: {mode: DENY}', 'MAST2053 outboundTrafficPolicy.mode'],
    ['accessLogEncoding: XML', 'MAST2053 accessLogEncoding'],
    ['enableTracing: "yes"', 'MAST2053 enableTracing'],
    ['accessLogFile: [a]', 'MAST2053 accessLogFile'],
    ['defaultProviders: {tracing: zipkin}', 'MAST2053 defaultProviders.tracing'],
    ['extensionProviders: {name: a}', 'MAST2053 extensionProviders'],
    ['extensionProviders: [{zipkin: {service: z, port: 9411}}]', 'MAST2053 extensionProviders[0].name'],
    ['extensionProviders: [{name: a}]', 'MAST2053 extensionProviders[0]'],
    ['extensionProviders: [{name: a, prometheus: {}, zipkin: {service: z, port: 1}}]', 'MAST2053 extensionProviders[0]'],
    ['extensionProviders: [{name: a, zipkin: {port: 9411}}]', 'MAST2053 extensionProviders[0].zipkin.service'],
    ['extensionProviders: [{name: a, zipkin: {service: z}}]', 'MAST2053 extensionProviders[0].zipkin.port'],
    ['extensionProviders: [{name: a, opentelemetry: {service: o, port: 70000}}]', 'MAST2053 extensionProviders[0].opentelemetry.port'],
    ['extensionProviders: [{name: a, zipkin: {service: z, port: 1, timeout: soon}}]', 'MAST2053 extensionProviders[0].zipkin.timeout'],
    ['extensionProviders: [{name: a, envoyFileAccessLog: {logFormat: {text: a, labels: {b: c}}}}]', 'MAST2053 extensionProviders[0].envoyFileAccessLog.logFormat'],
    ['extensionProviders: [{name: a, zipkin: {service: z, port: 1, headers: [{name: h, value: v, envName: E}]}}]', 'MAST2053 extensionProviders[0].zipkin.headers[0]'],
    ['extensionProviders: [{name: a, myTracer: {}}]', 'MAST2053 extensionProviders[0].myTracer'],
  ];
  for (const [yaml, finding] of refused) {
    test(`refused: ${yaml}`, () => {
      const { config, findings } = parse(yaml);
      assert.equal(config, undefined);
      assert.deepEqual(findings, [finding]);
    });
  }

  test('text that is not YAML, or not a mapping, is MAST1016', () => {
    assert.deepEqual(parse('a: [1'), { findings: ['MAST1016'] });
    assert.deepEqual(parse('- a\n- b\n'), { findings: ['MAST1016'] });
    assert.deepEqual(parse('just text'), { findings: ['MAST1016'] });
  });
});

describe("Istio's own", () => {
  const istio = istioModuleDir();

  test('every field and provider type Mast reads is a field of istio.io/api MeshConfig (config.proto), by its JSON name', () => {
    const gomod = readFileSync(path.join(istio, 'go.mod'), 'utf8');
    const version = /istio\.io\/api (\S+)/.exec(gomod)?.[1];
    assert.ok(version, 'istio.io/api in go.mod');
    const api = (JSON.parse(execFileSync('go', ['mod', 'download', '-json', `istio.io/api@${version}`], { cwd: '/', encoding: 'utf8' })) as { Dir: string }).Dir;
    const proto = readFileSync(path.join(api, 'mesh/v1alpha1/config.proto'), 'utf8');
    const protoFields = new Set([...proto.matchAll(/^\s+(?:repeated\s+)?[\w.]+\s+(\w+)\s*=\s*\d+/gm)].map((m) => (m[1] as string).replace(/_([a-z0-9])/g, (_x, c: string) => c.toUpperCase())));
    for (const f of [...MESH_CONFIG_FIELDS, ...Object.keys(PROVIDERS), ...UNSUPPORTED_PROVIDER_KINDS]) assert.ok(protoFields.has(f), `${f} is not in config.proto`);
    // And every provider type of Istio's oneof is either read or refused by name.
    const oneof = /oneof provider \{([^}]*)\}/.exec(proto)?.[1] ?? '';
    const types = [...oneof.matchAll(/\s(\w+)\s*=\s*\d+/g)].map((m) => (m[1] as string).replace(/_([a-z0-9])/g, (_x, c: string) => c.toUpperCase()));
    assert.ok(types.length >= 15);
    assert.deepEqual(types.filter((t) => !(t in PROVIDERS) && !(UNSUPPORTED_PROVIDER_KINDS as readonly string[]).includes(t)), []);
  });

  test("the demo profile's meshConfig (manifests/helm-profiles/demo.yaml) reads, skywalking refused by name", () => {
    const profile = load(readFileSync(path.join(istio, 'manifests/helm-profiles/demo.yaml'), 'utf8')) as { meshConfig: unknown };
    const { config, diagnostics } = parseMeshConfig(JSON.stringify(profile.meshConfig), { file: 'demo.yaml' });
    assert.deepEqual(diagnostics.map((d) => `${d.code} ${d.field}`), ['MAST2054 extensionProviders[1].skywalking']);
    assert.equal(config?.accessLogFile, '/dev/stdout');
    assert.deepEqual(config?.extensionProviders.find((p) => p.name === 'jaeger'), { name: 'jaeger', kind: 'opentelemetry', opentelemetry: { port: 4317, service: 'jaeger-collector.istio-system.svc.cluster.local' } });
  });
});
