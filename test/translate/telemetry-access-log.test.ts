// Access logs as Istio decides them (pilot/pkg/model/telemetry.go applicableTelemetries and
// mergeLogs, telemetry_logging.go, networking/core/accesslog.go): MeshConfig's accessLogFile,
// encoding and format; Telemetry resources at root, namespace and workload level, the later
// overriding the earlier; providers from MeshConfig extensionProviders; client and server sides.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { snapshotFromYaml } from '../../src/model';
import { accessLogPlan, ISTIO_JSON_FORMAT, ISTIO_TEXT_FORMAT, type WorkloadMode } from '../../src/translate/telemetry/access-log';
import { DEFAULT_MESH_CONFIG } from '../../src/model/mesh-config';
import type { TelemetryMesh } from '../../src/translate/telemetry/mesh';
import type { EnvoyJson } from '../../src/translate/types';

function telemetry(namespace: string, name: string, spec: object): string {
  return JSON.stringify({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { namespace, name }, spec });
}

function snapshot(...docs: string[]) {
  const { snapshot, diagnostics } = snapshotFromYaml(docs.join('\n---\n'));
  // Two namespace-wide Telemetries in one namespace (MAST3013) and providers that do nothing
  // (MAST3012) are reported (test/model/telemetry.test.ts), and the rest still served.
  assert.deepEqual(diagnostics.filter((d) => d.code !== 'MAST3013' && d.code !== 'MAST3012'), []);
  return snapshot;
}

const ENVOY = { accessLogging: [{ providers: [{ name: 'envoy' }] }] };
const OFF = { accessLogging: [{ disabled: true }] };

/** The file log config each HCM/tcp_proxy of the workload gets, or undefined. */
function logs(docs: string[], workload: { namespace: string; labels?: Record<string, string> }, mode: WorkloadMode = 'CLIENT', mesh: TelemetryMesh = DEFAULT_MESH_CONFIG) {
  return accessLogPlan(snapshot(...docs), mesh, { namespace: workload.namespace, labels: workload.labels ?? {} }, mode);
}

function typedConfig(log: EnvoyJson | undefined): EnvoyJson {
  assert.ok(log, 'an access log');
  return log.typed_config as EnvoyJson;
}

describe('access logs from MeshConfig', () => {
  test('none by default (Istio\'s accessLogFile is empty)', () => {
    assert.equal(logs([], { namespace: 'default' }), undefined);
  });

  test('accessLogFile in TEXT: Istio\'s default text format; a format of one\'s own gets its newline', () => {
    const plan = logs([], { namespace: 'default' }, 'CLIENT', { ...DEFAULT_MESH_CONFIG, accessLogFile: '/dev/stdout' });
    assert.ok(plan);
    assert.deepEqual(typedConfig(plan.filter[0]).log_format, { text_format_source: { inline_string: ISTIO_TEXT_FORMAT } });
    assert.equal(typedConfig(plan.filter[0]).path, '/dev/stdout');
    assert.deepEqual(plan.listener[0]?.filter, { response_flag_filter: { flags: ['NR'] } }, 'the listener logs only what no filter chain took');
    const own = logs([], { namespace: 'default' }, 'CLIENT', { ...DEFAULT_MESH_CONFIG, accessLogFile: '/tmp/a.log', accessLogFormat: '%REQ_WITHOUT_QUERY(:PATH)%' });
    assert.deepEqual((typedConfig(own?.filter[0]).log_format as EnvoyJson).text_format_source, { inline_string: '%REQ_WITHOUT_QUERY(:PATH)%\n' });
    assert.equal(((typedConfig(own?.filter[0]).log_format as EnvoyJson).formatters as EnvoyJson[])[0]?.name, 'envoy.formatter.req_without_query');
  });

  test('accessLogFile in JSON: Istio\'s labels, or the accessLogFormat object; one that does not parse falls back to Istio\'s', () => {
    const json = (accessLogFormat: string) => typedConfig(logs([], { namespace: 'default' }, 'CLIENT', { ...DEFAULT_MESH_CONFIG, accessLogFile: '/dev/stdout', accessLogEncoding: 'JSON', accessLogFormat })?.filter[0]).log_format as EnvoyJson;
    assert.deepEqual(json(''), { json_format: ISTIO_JSON_FORMAT, json_format_options: { sort_properties: false } });
    assert.deepEqual(json('{"code": "%RESPONSE_CODE%"}').json_format, { code: '%RESPONSE_CODE%' });
    assert.deepEqual(json('{not json').json_format, ISTIO_JSON_FORMAT);
    for (const label of ['method', 'path', 'response_code', 'upstream_cluster']) assert.ok(label in ISTIO_JSON_FORMAT, label);
  });
});

describe('access logs from Telemetry', () => {
  const root = telemetry('istio-system', 'mesh-default', ENVOY);

  test('a root-namespace Telemetry turns the `envoy` provider on mesh-wide, in the mesh\'s encoding', () => {
    const mesh = { ...DEFAULT_MESH_CONFIG, accessLogEncoding: 'JSON' as const };
    const plan = logs([root], { namespace: 'default' }, 'SERVER', mesh);
    assert.deepEqual((typedConfig(plan?.filter[0]).log_format as EnvoyJson).json_format, ISTIO_JSON_FORMAT);
    assert.deepEqual(plan?.sources, ['Telemetry/istio-system/mesh-default']);
  });

  test('workload > namespace > root: a namespace turns it off for itself only, a workload back on for itself', () => {
    const quiet = telemetry('quiet', 'off', OFF);
    const loud = telemetry('quiet', 'loud', { selector: { matchLabels: { app: 'loud' } }, ...ENVOY });
    assert.ok(logs([root, quiet, loud], { namespace: 'default' }), 'another namespace still logs');
    assert.equal(logs([root, quiet, loud], { namespace: 'quiet', labels: { app: 'other' } }), undefined);
    assert.ok(logs([root, quiet, loud], { namespace: 'quiet', labels: { app: 'loud' } }));
  });

  test('of two namespace-wide Telemetries in a namespace, the oldest applies', () => {
    const newer = telemetry('default', 'zz-newer', OFF);
    const older = telemetry('default', 'aa-older', ENVOY);
    // Files read together share a generation: the order within it is by name, so aa-older is older.
    assert.ok(logs([newer, older], { namespace: 'default' }));
  });

  test('targetRefs pick a Gateway API deployment by its Gateway, as Istio attaches policies; other workloads are untouched', () => {
    const gw = telemetry('default', 'gw-logs', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }], ...ENVOY });
    assert.ok(logs([gw], { namespace: 'default', labels: { 'gateway.networking.k8s.io/gateway-name': 'gw' } }));
    assert.equal(logs([gw], { namespace: 'default', labels: { 'gateway.networking.k8s.io/gateway-name': 'other' } }), undefined);
    assert.equal(logs([gw], { namespace: 'default', labels: { app: 'gw' } }), undefined);
  });

  test('match.mode: disabled for the SERVER side only leaves the CLIENT side logging', () => {
    const serverOff = telemetry('default', 'server-off', { accessLogging: [{ match: { mode: 'SERVER' }, disabled: true }] });
    assert.ok(logs([root, serverOff], { namespace: 'default' }, 'CLIENT'));
    assert.equal(logs([root, serverOff], { namespace: 'default' }, 'SERVER'), undefined);
  });

  test('a filter becomes Envoy\'s CEL access log filter (with NR on the listener)', () => {
    const errors = telemetry('default', 'errors', { accessLogging: [{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' } }] });
    const plan = logs([errors], { namespace: 'default' });
    const cel = { extension_filter: { name: 'envoy.access_loggers.extension_filters.cel', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', expression: 'response.code >= 400' } } };
    assert.deepEqual(plan?.filter[0]?.filter, cel);
    assert.deepEqual(plan?.listener[0]?.filter, { and_filter: { filters: [{ response_flag_filter: { flags: ['NR'] } }, cel] } });
  });

  test('providers from extensionProviders: a file provider with JSON labels; several are sorted by name', () => {
    const mesh: TelemetryMesh = {
      ...DEFAULT_MESH_CONFIG,
      extensionProviders: [...DEFAULT_MESH_CONFIG.extensionProviders, { name: 'audit', kind: 'envoyFileAccessLog', envoyFileAccessLog: { path: '/var/log/audit.log', logFormat: { labels: { who: '%DOWNSTREAM_REMOTE_ADDRESS%' } } } }],
    };
    const both = telemetry('default', 'both', { accessLogging: [{ providers: [{ name: 'envoy' }, { name: 'audit' }] }] });
    const plan = logs([both], { namespace: 'default' }, 'CLIENT', mesh);
    assert.deepEqual(plan?.filter.map((l) => typedConfig(l).path), ['/var/log/audit.log', '/dev/stdout']);
    assert.deepEqual((typedConfig(plan?.filter[0]).log_format as EnvoyJson).json_format, { who: '%DOWNSTREAM_REMOTE_ADDRESS%' });
  });

  test('a provider MeshConfig does not define gives no log, and then accessLogFile applies, as in Istio', () => {
    const missing = telemetry('default', 'missing', { accessLogging: [{ providers: [{ name: 'nowhere' }] }] });
    assert.equal(logs([missing], { namespace: 'default' }), undefined);
    const plan = logs([missing], { namespace: 'default' }, 'CLIENT', { ...DEFAULT_MESH_CONFIG, accessLogFile: '/dev/stdout' });
    assert.deepEqual(plan?.sources, [], 'the mesh-wide log, not the Telemetry\'s');
  });

  test('MeshConfig defaultProviders log where no Telemetry speaks, and a Telemetry can still turn them off', () => {
    const mesh = { ...DEFAULT_MESH_CONFIG, defaultProviders: { accessLogging: ['envoy'], tracing: [] } };
    assert.ok(logs([], { namespace: 'default' }, 'CLIENT', mesh));
    assert.equal(logs([telemetry('default', 'off', OFF)], { namespace: 'default' }, 'CLIENT', mesh), undefined);
  });
});
