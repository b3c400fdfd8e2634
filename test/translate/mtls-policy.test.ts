// PeerAuthentication resolution and validation as Istio does them (policy_applier.go
// ComposePeerAuthentication, authentication.go, validation.go ValidatePeerAuthentication), beyond
// what the golden cases show: inheritance, the oldest policy winning, the root namespace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotFromYaml, type Snapshot } from '../../src/model';
import { modeForPort, serviceMtlsMode, workloadMtls } from '../../src/policy/mtls/peer-authentication';
import { inboundChainOptions, tlsInspector } from '../../src/policy/mtls/inbound-tls';
import { clusterTls } from '../../src/policy/mtls/cluster-tls';
import { fileTlsContext } from '../../src/policy/mtls/upstream-tls';
import { mesh } from './helpers';

function pa(name: string, namespace: string, spec: string, created?: string): string {
  return `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: ${namespace}${created ? `, creationTimestamp: "${created}"` : ''}}
spec: ${spec}`;
}

const REVIEWS = { app: 'reviews', version: 'v1' };

function resolved(snapshot: Snapshot, namespace = 'default', labels: Record<string, string> = REVIEWS): [string, Record<string, string>] {
  const m = workloadMtls(snapshot, namespace, labels);
  return [m.mode, Object.fromEntries([...m.perPort].map(([p, mode]) => [String(p), mode]))];
}

test('no PeerAuthentication at all is PERMISSIVE, for workloads and for the services clients call', () => {
  const empty = mesh();
  assert.deepEqual(resolved(empty), ['PERMISSIVE', {}]);
  assert.equal(serviceMtlsMode(empty, 'default'), 'PERMISSIVE');
});

test('the narrowest policy that sets a mode wins: workload, then namespace, then mesh; UNSET inherits', () => {
  const meshStrict = pa('default', 'istio-system', '{mtls: {mode: STRICT}}');
  const nsDisable = pa('default', 'default', '{mtls: {mode: DISABLE}}');
  const nsUnset = pa('default', 'default', '{mtls: {mode: UNSET}}');
  const workload = (mode: string) => pa('reviews', 'default', `{selector: {matchLabels: {app: reviews}}, mtls: {mode: ${mode}}}`);

  assert.deepEqual(resolved(mesh(meshStrict)), ['STRICT', {}]);
  assert.deepEqual(resolved(mesh(meshStrict, nsDisable)), ['DISABLE', {}]);
  assert.deepEqual(resolved(mesh(meshStrict, nsUnset)), ['STRICT', {}]);
  assert.deepEqual(resolved(mesh(meshStrict, nsDisable, workload('PERMISSIVE'))), ['PERMISSIVE', {}]);
  assert.deepEqual(resolved(mesh(meshStrict, nsDisable, workload('UNSET'))), ['DISABLE', {}]);
  // Another workload of the namespace is not selected.
  assert.deepEqual(resolved(mesh(meshStrict, nsDisable, workload('PERMISSIVE')), 'default', { app: 'ratings' }), ['DISABLE', {}]);
  // Another namespace only sees the mesh policy.
  assert.deepEqual(resolved(mesh(meshStrict, nsDisable), 'shop', REVIEWS), ['STRICT', {}]);
  // Clients infer a service's mode from namespace and mesh alone.
  assert.equal(serviceMtlsMode(mesh(meshStrict, nsDisable, workload('STRICT')), 'default'), 'DISABLE');
  assert.equal(serviceMtlsMode(mesh(meshStrict, nsUnset), 'default'), 'STRICT');
});

test('port-level modes are by target port; UNSET takes the workload mode; other ports keep it', () => {
  const snapshot = mesh(
    pa('default', 'default', '{mtls: {mode: PERMISSIVE}}'),
    pa('reviews', 'default', '{selector: {matchLabels: {app: reviews}}, mtls: {mode: STRICT}, portLevelMtls: {"9080": {mode: DISABLE}, "9090": {mode: UNSET}}}'),
  );
  const m = workloadMtls(snapshot, 'default', REVIEWS);
  assert.deepEqual([modeForPort(m, 9080), modeForPort(m, 9090), modeForPort(m, 7000)], ['DISABLE', 'STRICT', 'STRICT']);
  assert.deepEqual(m.sources.map((s) => s.name), ['default', 'reviews']);
});

test('of two policies at one level the oldest applies; a selector in the root namespace applies to nobody', () => {
  const older = pa('b-older', 'default', '{mtls: {mode: STRICT}}', '2026-01-01T00:00:00Z');
  const newer = pa('a-newer', 'default', '{mtls: {mode: DISABLE}}', '2026-03-01T00:00:00Z');
  assert.deepEqual(resolved(mesh(newer, older)), ['STRICT', {}]);
  const rootSelector = pa('reviews', 'istio-system', '{selector: {matchLabels: {app: reviews}}, mtls: {mode: DISABLE}}');
  assert.deepEqual(resolved(mesh(rootSelector)), ['PERMISSIVE', {}]);
});

test('the root namespace is the store setting: a mesh-wide policy lives wherever it says', () => {
  const text = pa('default', 'mesh-root', '{mtls: {mode: STRICT}}');
  assert.deepEqual(resolved(snapshotFromYaml(text).snapshot), ['PERMISSIVE', {}]);
  assert.deepEqual(resolved(snapshotFromYaml(text, 'in.yaml', { rootNamespace: 'mesh-root' }).snapshot), ['STRICT', {}]);
});

test("ValidatePeerAuthentication's cases", () => {
  const findings = (spec: string): string[][] =>
    snapshotFromYaml(pa('p', 'default', spec)).diagnostics.map((d) => [d.code, d.field ?? '']);
  assert.deepEqual(findings('{}'), []);
  assert.deepEqual(findings('{mtls: {mode: UNSET}}'), []);
  assert.deepEqual(findings('{selector: {matchLabels: {app: httpbin}}, portLevelMtls: {"8080": {mode: UNSET}}}'), []);
  assert.deepEqual(findings('{selector: {}}'), [['MAST2041', 'spec.selector']]);
  // Istio's schema refuses an empty portLevelMtls (minProperties) before its validation does.
  assert.deepEqual(findings('{selector: {matchLabels: {app: httpbin}}, portLevelMtls: {}}'), [['MAST1006', 'spec.portLevelMtls']]);
  assert.deepEqual(findings('{portLevelMtls: {"8080": {mode: STRICT}}}'), [['MAST2042', 'spec.portLevelMtls']]);
  assert.deepEqual(findings('{selector: {matchLabels: {app: httpbin}}, portLevelMtls: {"0": {mode: STRICT}, "70000": {mode: STRICT}}}'), [
    ['MAST2011', 'spec.portLevelMtls["0"]'],
    ['MAST2011', 'spec.portLevelMtls["70000"]'],
  ]);
  assert.deepEqual(findings('{selector: {matchLabels: {app: httpbin}}, portLevelMtls: {http: {mode: STRICT}}}'), [['MAST1006', 'spec.portLevelMtls.http']]);
});

test('filter chain options per mode: STRICT is TLS only, PERMISSIVE tells mTLS from plaintext, DISABLE is plaintext', () => {
  const shape = (mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE', http: boolean) =>
    inboundChainOptions(mode, http).map((o) => `${o.transportProtocol}${o.applicationProtocols ? '+alpn' : ''}${o.mtls ? ' mtls' : ''}`);
  assert.deepEqual(shape('STRICT', true), ['tls mtls']);
  assert.deepEqual(shape('PERMISSIVE', true), ['tls+alpn mtls', 'raw_buffer']);
  assert.deepEqual(shape('PERMISSIVE', false), ['tls+alpn mtls', 'tls', 'raw_buffer']);
  assert.deepEqual(shape('DISABLE', false), ['raw_buffer']);
});

test('the TLS inspector runs only where some chain matches on TLS', () => {
  assert.equal(tlsInspector(new Map([[0, false], [9080, false]])), undefined);
  assert.equal(tlsInspector(new Map([[0, true], [9080, true]]))?.filter_disabled, undefined);
  assert.deepEqual(tlsInspector(new Map([[0, true], [9080, false], [9090, true]]))?.filter_disabled, { destination_port_range: { start: 9080, end: 9081 } });
  assert.deepEqual(tlsInspector(new Map([[0, false], [9080, true], [9090, true]]))?.filter_disabled, {
    not_match: { or_match: { rules: [{ destination_port_range: { start: 9080, end: 9081 } }, { destination_port_range: { start: 9090, end: 9091 } }] } },
  });
});

test('an empty subjectAltNames is no list: the service accounts are verified, as Istio does', () => {
  const snapshot = mesh(`apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default, annotations: {alpha.istio.io/kubernetes-serviceaccounts: bookinfo-reviews}}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]`);
  const service = snapshot.services()[0]!;
  const sans = (subjectAltNames: string[]): unknown => {
    const { fields } = clusterTls(snapshot, { tls: { mode: 'ISTIO_MUTUAL', subjectAltNames }, service, port: 9080, http2: false, credentials: false });
    const context = (fields['transport_socket'] as { typed_config: { common_tls_context: { combined_validation_context: { default_validation_context: unknown } } } }).typed_config;
    return context.common_tls_context.combined_validation_context.default_validation_context;
  };
  assert.deepEqual(sans([]), { match_subject_alt_names: [{ exact: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews' }] });
  assert.deepEqual(sans(['spiffe://other/ns/x/sa/y']), { match_subject_alt_names: [{ exact: 'spiffe://other/ns/x/sa/y' }] });
});

test('client TLS from files: caCrl becomes the validation context\'s crl, beside the CA and SANs; insecureSkipVerify drops all three', () => {
  const context = (tls: Parameters<typeof fileTlsContext>[0]): Record<string, unknown> =>
    ((fileTlsContext(tls, false) as { common_tls_context: Record<string, unknown> }).common_tls_context.validation_context as Record<string, unknown>);
  assert.deepEqual(context({ mode: 'SIMPLE', caCertificates: '/etc/certs/ca.pem', caCrl: '/etc/certs/ca.crl', subjectAltNames: ['api.example.com'] }), {
    trusted_ca: { filename: '/etc/certs/ca.pem' },
    match_subject_alt_names: [{ exact: 'api.example.com' }],
    crl: { filename: '/etc/certs/ca.crl' },
  });
  assert.deepEqual(context({ mode: 'SIMPLE', caCrl: '/etc/certs/ca.crl', insecureSkipVerify: true }), {});
});
