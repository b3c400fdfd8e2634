import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { parse } from 'yaml';
import { buildBootstrap, isSdsFile, parseHostPort, type BootstrapOptions } from '../../src/bootstrap/bootstrap';
import { TOKEN_HEADER, tokenSdsResource, XDS_TOKEN_SECRET } from '../../src/bootstrap/token-sds';
import { BUNDLE_SDS_FILE, bundleSdsResource, XDS_CA_SECRET } from '../../src/ca/bundle-file';
import { register } from '../../src/cli/bootstrap';
import { CertificateAuthority } from '../../src/ca';
import { XdsTokenKey } from '../../src/ca/xds-token';
import { proxyFromNode } from '../../src/proxy/node';
import { envoyBin } from '../../e2e/harness/envoy';
import { REGEX_MAX_PROGRAM_SIZE, REGEX_MAX_PROGRAM_SIZE_KEY } from '../../src/xds/validate/limits';

const SIDECAR = 'sidecar~127.0.1.3~reviews-v1-1.default~default.svc.cluster.local';
const ROUTER = 'router~127.0.4.1~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local';

type Json = Record<string, any>;

function build(o: Partial<BootstrapOptions> = {}): Json {
  const b = buildBootstrap({ nodeId: SIDECAR, xdsAddress: '127.0.0.1:15010', insecureXds: o.xdsCa === undefined, ...o });
  if ('error' in b) assert.fail(String(b.error));
  return b;
}

test('node metadata round-trips through proxyFromNode, defaults from the node id', () => {
  const b = build({ labels: { app: 'reviews', version: 'v1' }, interceptionMode: 'NONE', localAddress: '127.0.2.3', outboundAddress: '127.0.3.3', serviceAccount: 'bookinfo-reviews' });
  assert.equal(b['node'].cluster, 'reviews.default');
  assert.deepEqual(proxyFromNode(b['node'].id, b['node'].metadata), {
    id: SIDECAR,
    role: 'sidecar',
    workloadName: 'reviews-v1-1.default',
    namespace: 'default',
    labels: { app: 'reviews', version: 'v1' },
    ips: ['127.0.1.3'],
    serviceAccount: 'bookinfo-reviews',
    interceptionMode: 'NONE',
    localAddress: '127.0.2.3',
    outboundAddress: '127.0.3.3',
  });
  assert.equal(b['node'].metadata.NAME, 'reviews-v1-1');
});

test('flags override what the node id implies', () => {
  const b = build({ nodeId: ROUTER, namespace: 'gateways', ip: '127.0.4.9', cluster: 'edge' });
  assert.equal(b['node'].metadata.NAMESPACE, 'gateways');
  assert.equal(b['node'].metadata.INSTANCE_IPS, '127.0.4.9');
  assert.equal(b['node'].metadata.INTERCEPTION_MODE, 'REDIRECT');
  assert.equal(b['node'].cluster, 'edge');
});

test('ADS flavour: state of the world by default, delta with --delta', () => {
  assert.equal(build().dynamic_resources.ads_config.api_type, 'GRPC');
  assert.equal(build({ delta: true }).dynamic_resources.ads_config.api_type, 'DELTA_GRPC');
});

test('xDS cluster: STATIC for an IP, STRICT_DNS for a hostname; admin defaults to 127.0.0.1:15000', () => {
  const b = build();
  assert.equal(b['static_resources'].clusters[0].type, 'STATIC');
  assert.deepEqual(b['admin'].address, { socket_address: { address: '127.0.0.1', port_value: 15000 } });
  const named = build({ xdsAddress: 'mast.mast-system.svc:15010', adminAddress: '127.0.2.3', adminPort: 15001 });
  assert.equal(named['static_resources'].clusters[0].type, 'STRICT_DNS');
  assert.deepEqual(named['admin'].address, { socket_address: { address: '127.0.2.3', port_value: 15001 } });
});

test('bad input gives a clear error', () => {
  assert.match(String((buildBootstrap({ nodeId: 'reviews', xdsAddress: '127.0.0.1:1' }) as Json)['error']), /not of the form/);
  assert.match(String((buildBootstrap({ nodeId: SIDECAR, xdsAddress: '127.0.0.1' }) as Json)['error']), /--xds-address/);
  assert.deepEqual(parseHostPort('[::1]:15010'), { host: '::1', port: 15010 });
  assert.ok('error' in parseHostPort('host:70000'));
});

function runCli(args: string[]): string {
  let out = '';
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  register(program);
  program.parse(['bootstrap', ...args], { from: 'user' });
  return out;
}

test('mast bootstrap prints what buildBootstrap builds', () => {
  const out = runCli(['--node-id', SIDECAR, '--xds-address', '127.0.0.1:15010', '--insecure-xds', '--delta', '--label', 'app=reviews', '--label', 'version=v1', '--interception-mode', 'NONE', '--admin-port', '15001']);
  assert.deepEqual(JSON.parse(out), build({ delta: true, labels: { app: 'reviews', version: 'v1' }, interceptionMode: 'NONE', adminPort: 15001 }));
});

test('mast bootstrap rejects bad flags', () => {
  assert.throws(() => runCli(['--node-id', SIDECAR, '--xds-address', '127.0.0.1:1', '--label', 'novalue']), /KEY=VALUE/);
  assert.throws(() => runCli(['--node-id', SIDECAR, '--xds-address', '127.0.0.1:1', '--interception-mode', 'TPROXY']), /Allowed choices/);
  assert.throws(() => runCli(['--node-id', 'x', '--xds-address', '127.0.0.1:1']), /not of the form/);
});

test('TLS is the default: plaintext only when asked for, and a token only over TLS', () => {
  const error = (o: Partial<BootstrapOptions>): string => String((buildBootstrap({ nodeId: SIDECAR, xdsAddress: '127.0.0.1:15012', ...o }) as Json)['error']);
  assert.match(error({}), /give --xds-ca FILE .*or --insecure-xds/);
  assert.match(error({ insecureXds: true, token: 't' }), /a token is sent over TLS only/);
  assert.match(error({ insecureXds: true, xdsCa: 'ca.pem' }), /choose plaintext or TLS/);
  assert.match(error({ xdsCa: 'ca.pem', xdsServerName: 'mast', token: 't', tokenFile: 'f' }), /not both/);
  assert.match(error({ xdsCa: 'root-cert.sds.yaml', xdsServerName: 'mast', tokenFile: 'f' }), /an SDS --xds-ca needs --token-file as an SDS file/);
  assert.match(error({ insecureXds: true, tokenFile: 'token.sds.yaml' }), /a token is sent over TLS only/);
});

const TLS = { xdsAddress: '127.0.0.1:15012', xdsCa: '/etc/mast/root-cert.pem', xdsServerName: 'mast.mast-system.svc' };

test('an embedded token goes in initial_metadata of the Envoy gRPC service, to a TLS cluster', () => {
  const b = build({ ...TLS, token: 'abc.def.ghi' });
  const [service] = b['dynamic_resources'].ads_config.grpc_services;
  assert.deepEqual(service.initial_metadata, [{ key: 'authorization', value: 'Bearer abc.def.ghi' }]);
  assert.equal(service.envoy_grpc.cluster_name, 'xds-grpc');
  const tls = b['static_resources'].clusters[0].transport_socket.typed_config;
  assert.equal(tls.sni, 'mast.mast-system.svc');
  assert.equal(tls.common_tls_context.validation_context.trusted_ca.filename, '/etc/mast/root-cert.pem');
});

test('an SDS file for --xds-ca: the roots come over file-based SDS, watched for moves in its directory, and the SAN check stays', () => {
  const b = build({ ...TLS, xdsCa: '/var/lib/mast/root-cert.sds.yaml', token: 't' });
  const context = b['static_resources'].clusters[0].transport_socket.typed_config.common_tls_context;
  assert.equal(context.validation_context, undefined, 'no roots read once at start');
  assert.deepEqual(context.combined_validation_context, {
    default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'mast.mast-system.svc' } }] },
    validation_context_sds_secret_config: {
      name: XDS_CA_SECRET,
      sds_config: { path_config_source: { path: '/var/lib/mast/root-cert.sds.yaml', watched_directory: { path: '/var/lib/mast' } }, resource_api_version: 'V3' },
    },
  });
  assert.deepEqual(['a.json', 'a.yml', 'a.YAML', 'root-cert.pem', 'ca.crt', 'yaml'].map(isSdsFile), [true, true, true, false, false, false]);
});

test('a token file is read by the Google gRPC client for every stream (file_based_metadata), over TLS to the server name', () => {
  const b = build({ ...TLS, tokenFile: '/var/run/secrets/tokens/istio-token' });
  const [service] = b['dynamic_resources'].ads_config.grpc_services;
  const g = service.google_grpc;
  assert.equal(g.target_uri, '127.0.0.1:15012');
  assert.equal(g.channel_credentials.ssl_credentials.root_certs.filename, '/etc/mast/root-cert.pem');
  assert.deepEqual(g.call_credentials[0].from_plugin.typed_config.secret_data, { filename: '/var/run/secrets/tokens/istio-token' });
  assert.equal(g.call_credentials[0].from_plugin.typed_config.header_prefix, 'Bearer ');
  assert.equal(g.credentials_factory_name, 'envoy.grpc_credentials.file_based_metadata');
  assert.equal(g.channel_args.args['grpc.ssl_target_name_override'].string_value, 'mast.mast-system.svc');
  assert.deepEqual(b['static_resources'].clusters.map((c: Json) => c.name), ['prometheus_stats'], 'no Envoy gRPC cluster to Mast');
  assert.equal(build({ ...TLS, xdsAddress: '[::1]:15012', tokenFile: 't' })['dynamic_resources'].ads_config.grpc_services[0].google_grpc.target_uri, '[::1]:15012');
});

test("a token SDS file: Envoy's own gRPC client, whose xds cluster injects the token as Bearer on each stream and takes its roots over SDS", () => {
  const b = build({ ...TLS, xdsCa: '/etc/mast/xds-ca.sds.yaml', tokenFile: '/etc/mast/xds-token.sds.yaml' });
  const [service] = b['dynamic_resources'].ads_config.grpc_services;
  assert.equal(service.google_grpc, undefined);
  assert.equal(service.envoy_grpc.cluster_name, 'xds-grpc');
  assert.equal(service.initial_metadata, undefined, 'no token fixed at start');
  const [cluster] = b['static_resources'].clusters;
  assert.equal(cluster.transport_socket.typed_config.common_tls_context.combined_validation_context.validation_context_sds_secret_config.sds_config.path_config_source.path, '/etc/mast/xds-ca.sds.yaml');
  const filters = cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].http_filters as Json[];
  assert.deepEqual(filters.map((f) => f['name']), ['envoy.filters.http.credential_injector', 'envoy.filters.http.header_mutation', 'envoy.filters.http.upstream_codec'], 'the codec ends the upstream chain');
  const generic = filters[0]!['typed_config'].credential.typed_config;
  assert.deepEqual(generic.credential, { name: XDS_TOKEN_SECRET, sds_config: { path_config_source: { path: '/etc/mast/xds-token.sds.yaml' }, resource_api_version: 'V3' } });
  assert.equal(generic.header, TOKEN_HEADER);
  assert.deepEqual(filters[1]!['typed_config'].mutations.request_mutations, [
    { append: { header: { key: 'authorization', value: `Bearer %REQ(${TOKEN_HEADER})%` }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' } },
    { remove: TOKEN_HEADER },
  ]);
  // A PEM --xds-ca works with a token SDS file too (roots read once), and an embedded token adds no filters.
  assert.equal(build({ ...TLS, tokenFile: '/etc/mast/xds-token.sds.yaml' })['static_resources'].clusters[0].transport_socket.typed_config.common_tls_context.validation_context.trusted_ca.filename, '/etc/mast/root-cert.pem');
  assert.equal(build({ ...TLS, token: 't' })['static_resources'].clusters[0].typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].http_filters, undefined);
  assert.deepEqual(JSON.parse(tokenSdsResource('/var/run/secrets/tokens/istio-token')), { resources: [{
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
    name: XDS_TOKEN_SECRET,
    generic_secret: { secret: { filename: '/var/run/secrets/tokens/istio-token' } },
  }] });
});

test('mast bootstrap --bootstrap-token embeds a token Mast accepts for exactly this proxy', async () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'mast-bootstrap-state-'));
  try {
    let out = '';
    const program = new Command().exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
    register(program);
    await program.parseAsync(['bootstrap', '--node-id', SIDECAR, '--xds-address', '127.0.0.1:15012', '--xds-ca', 'ca.pem', '--xds-server-name', 'mast.mast-system.svc',
      '--service-account', 'bookinfo-reviews', '--bootstrap-token', '--state-dir', stateDir, '--token-ttl', '2h'], { from: 'user' });
    const header = JSON.parse(out).dynamic_resources.ads_config.grpc_services[0].initial_metadata[0].value as string;
    const token = header.replace(/^Bearer /, '');
    const proven = await (await XdsTokenKey.open(stateDir)).authenticate(token);
    assert.deepEqual(proven, { namespace: 'default', serviceAccount: 'bookinfo-reviews', pod: 'reviews-v1-1', ips: ['127.0.1.3'], role: 'sidecar', by: 'Mast token' });
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    assert.ok(Math.abs(exp - (Date.now() / 1000 + 7200)) < 60, `expires in 2 h: ${exp}`);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test("manifests/sidecar-bootstrap.yaml is mast bootstrap's output for a Pod's projected token, without the identity metadata and stats tags, and the SDS files naming the Pod's root and token", () => {
  const configMap = parse(readFileSync(path.join(__dirname, '..', '..', 'manifests', 'sidecar-bootstrap.yaml'), 'utf8')) as { data: Record<string, string> };
  const expected = build({
    nodeId: 'sidecar~0.0.0.0~POD.NAMESPACE~NAMESPACE.svc.cluster.local',
    xdsAddress: 'mast.mast-system.svc:15012',
    xdsCa: '/etc/mast/xds-ca.sds.yaml',
    tokenFile: '/etc/mast/xds-token.sds.yaml',
  });
  for (const key of ['NAMESPACE', 'LABELS', 'INSTANCE_IPS', 'SERVICE_ACCOUNT', 'NAME']) delete expected['node'].metadata[key];
  // One ConfigMap serves every Pod: the reporter_* stats tags (fixed values) would name this placeholder Pod.
  expected['stats_config'].stats_tags = expected['stats_config'].stats_tags.filter((t: Json) => !('fixed_value' in t));
  assert.deepEqual(Object.keys(configMap.data).sort(), ['envoy.json', 'xds-ca.sds.yaml', 'xds-token.sds.yaml']);
  assert.deepEqual(JSON.parse(configMap.data['envoy.json']!), expected);
  assert.deepEqual(parse(configMap.data['xds-ca.sds.yaml']!), JSON.parse(bundleSdsResource('/var/run/secrets/mast/root-cert.pem')));
  assert.deepEqual(parse(configMap.data['xds-token.sds.yaml']!), JSON.parse(tokenSdsResource('/var/run/secrets/tokens/istio-token')));
});

test('Envoy accepts the bootstrap (envoy --mode validate)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mast-bootstrap-'));
  const caFile = path.join(dir, 'root-cert.pem');
  writeFileSync(caFile, (await CertificateAuthority.create()).rootPem);
  writeFileSync(path.join(dir, 'token'), 'abc.def.ghi');
  const tls = { ...TLS, xdsCa: caFile };
  const sdsFile = path.join(dir, BUNDLE_SDS_FILE);
  writeFileSync(sdsFile, bundleSdsResource(caFile));
  const tokenSds = path.join(dir, 'xds-token.sds.yaml');
  writeFileSync(tokenSds, tokenSdsResource(path.join(dir, 'token')));
  try {
    for (const [name, b] of Object.entries({
      sidecar: build({ labels: { app: 'a' } }),
      gateway: build({ nodeId: ROUTER, delta: true, xdsAddress: 'localhost:15010' }),
      tokenOverTls: build({ ...tls, token: 'abc.def.ghi' }),
      sdsRoots: build({ ...tls, xdsCa: sdsFile, token: 'abc.def.ghi' }),
      tokenFile: build({ ...tls, delta: true, tokenFile: path.join(dir, 'token') }),
      tokenSds: build({ ...tls, xdsCa: sdsFile, delta: true, tokenFile: tokenSds }),
    })) {
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(b));
      execFileSync(envoyBin(), ['--mode', 'validate', '-c', file, '--disable-hot-restart', '-l', 'error'], { stdio: 'pipe' });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the runtime lets regexes reach Istio's RE2 program size, the limit Mast's validator checks", () => {
  const b = build();
  assert.equal(b['layered_runtime'].layers[0].static_layer[REGEX_MAX_PROGRAM_SIZE_KEY], REGEX_MAX_PROGRAM_SIZE);
  // a{1000} compiles to 1004 RE2 instructions: over Envoy's default of 100, within Istio's limit.
  const listener = { name: 'l', address: { socket_address: { address: '127.0.0.1', port_value: 10000 } }, filter_chains: [{ filters: [{ name: 'hcm', typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: 'x',
    route_config: { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { safe_regex: { regex: 'a{1000}' } }, direct_response: { status: 200 } }] }] },
    http_filters: [{ name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
  } }] }] };
  const dir = mkdtempSync(path.join(tmpdir(), 'mast-bootstrap-re2-'));
  const validate = (config: Json) => {
    const file = path.join(dir, 'b.json');
    writeFileSync(file, JSON.stringify(config));
    try {
      execFileSync(envoyBin(), ['--mode', 'validate', '-c', file, '--disable-hot-restart', '-l', 'error'], { stdio: 'pipe' });
      return 'accepted';
    } catch (e) {
      const { stdout, stderr } = e as { stdout?: Buffer; stderr?: Buffer };
      return `${String(stdout ?? '')}${String(stderr ?? '')}`;
    }
  };
  try {
    const withRegex = { ...b, static_resources: { ...b['static_resources'], listeners: [listener] } };
    assert.equal(validate(withRegex), 'accepted');
    assert.match(validate({ ...withRegex, layered_runtime: { layers: [] } }), /program size of 1004 > max program size of 100/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
