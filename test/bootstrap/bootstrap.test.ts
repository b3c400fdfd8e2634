import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { buildBootstrap, parseHostPort, type BootstrapOptions } from '../../src/bootstrap/bootstrap';
import { register } from '../../src/cli/bootstrap';
import { proxyFromNode } from '../../src/proxy/node';
import { envoyBin } from '../../e2e/harness/envoy';
import { REGEX_MAX_PROGRAM_SIZE, REGEX_MAX_PROGRAM_SIZE_KEY } from '../../src/xds/validate/limits';

const SIDECAR = 'sidecar~127.0.1.3~reviews-v1-1.default~default.svc.cluster.local';
const ROUTER = 'router~127.0.4.1~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local';

type Json = Record<string, any>;

function build(o: Partial<BootstrapOptions> = {}): Json {
  const b = buildBootstrap({ nodeId: SIDECAR, xdsAddress: '127.0.0.1:15010', ...o });
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
  const out = runCli(['--node-id', SIDECAR, '--xds-address', '127.0.0.1:15010', '--delta', '--label', 'app=reviews', '--label', 'version=v1', '--interception-mode', 'NONE', '--admin-port', '15001']);
  assert.deepEqual(JSON.parse(out), build({ delta: true, labels: { app: 'reviews', version: 'v1' }, interceptionMode: 'NONE', adminPort: 15001 }));
});

test('mast bootstrap rejects bad flags', () => {
  assert.throws(() => runCli(['--node-id', SIDECAR, '--xds-address', '127.0.0.1:1', '--label', 'novalue']), /KEY=VALUE/);
  assert.throws(() => runCli(['--node-id', SIDECAR, '--xds-address', '127.0.0.1:1', '--interception-mode', 'TPROXY']), /Allowed choices/);
  assert.throws(() => runCli(['--node-id', 'x', '--xds-address', '127.0.0.1:1']), /not of the form/);
});

test('Envoy accepts the bootstrap (envoy --mode validate)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mast-bootstrap-'));
  try {
    for (const [name, b] of Object.entries({ sidecar: build({ labels: { app: 'a' } }), gateway: build({ nodeId: ROUTER, delta: true, xdsAddress: 'localhost:15010' }) })) {
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
