// Mast's checks of whole VirtualServices, DestinationRules and Gateways, one Istio validation
// function at a time (istio.io/istio pkg/config/validation at the pinned revision:
// ValidateVirtualService, ValidateDestinationRule, ValidateGateway). Each case states what Istio
// decides. test/conformance/istio-validate.test.ts holds the same to istioctl itself.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayServerHostProblems, labelProblems, wildcardDomainProblem } from '../../src/model/validate/names';
import { dr, findings, gw, route, server, type Finding, type Raw } from './validation-cases';

describe('VirtualService as a whole (ValidateVirtualService)', () => {
  const spec = (s: Raw): Finding[] => findings('VirtualService', s);
  const http = [{ route }];

  test('hosts: DNS names, wildcards and IPs; `*` only for gateways; none overlapping', () => {
    assert.deepEqual(spec({ hosts: ['Bad_Host'], http }), [['MAST2015', 'spec.hosts[0]']]);
    assert.deepEqual(spec({ hosts: ['*'], http }), [['MAST2015', 'spec.hosts[0]']]);
    assert.deepEqual(spec({ hosts: ['*'], gateways: ['istio-system/gw'], http }), []);
    assert.deepEqual(spec({ hosts: ['10.0.0.1', 'example.com.'], http }), []);
    assert.deepEqual(spec({ hosts: ['*.example.com', 'a.example.com'], http }), [['MAST2030', 'spec.hosts[1]']]);
  });

  test('a VirtualService needs http, tcp or tls routes', () => {
    assert.deepEqual(spec({ hosts: ['reviews'] }), [['MAST2029', 'spec']]);
  });

  test('delegates: no hosts means a delegate, which names no gateways; a delegating rule routes nowhere else', () => {
    // Whether a root uses the delegate (MAST2002) and finds it (MAST3004) is checked across
    // objects: test/model/delegation.test.ts.
    assert.deepEqual(spec({ http }), []);
    assert.deepEqual(spec({ gateways: ['gw'], http }), [['MAST2036', 'spec.gateways']]);
    assert.deepEqual(spec({ hosts: ['reviews'], http: [{ delegate: { name: 'd', namespace: 'default' } }] }), []);
    assert.deepEqual(spec({ hosts: ['reviews'], http: [{ delegate: { name: 'd' }, route }] }), [['MAST2036', 'spec.http[0].route']]);
  });

  test('gateway references: namespace/name DNS labels; the legacy name.namespace form is a warning', () => {
    assert.deepEqual(spec({ hosts: ['reviews'], gateways: ['bad_ns/gw'], http }), [['MAST2026', 'spec.gateways[0]']]);
    assert.deepEqual(spec({ hosts: ['reviews'], gateways: ['gw.istio-system'], http }), [['MAST2040', 'spec.gateways[0]']]);
  });

  test('exportTo: `.`, `*` or namespaces, no duplicates, never `~`', () => {
    assert.deepEqual(spec({ hosts: ['reviews'], http, exportTo: ['~'] }), [['MAST2028', 'spec.exportTo']]);
    assert.deepEqual(spec({ hosts: ['reviews'], http, exportTo: ['.', 'default'] }), [['MAST2028', 'spec.exportTo']]);
    assert.deepEqual(spec({ hosts: ['reviews'], http, exportTo: ['.', 'other'] }), []);
  });

  test('annotations only Istio may set are refused', () => {
    assert.deepEqual(findings('VirtualService', { hosts: ['reviews'], http }, { annotations: { 'istio.io/dry-run': 'true' } }), [['MAST2035', 'metadata.annotations["istio.io/dry-run"]']]);
  });

  test('tcp and tls routes are checked as Istio checks them', () => {
    assert.deepEqual(spec({ hosts: ['db'], tcp: [{ match: [{ port: 3306 }] }] }), [['MAST2031', 'spec.tcp[0].route']]);
    assert.deepEqual(spec({ hosts: ['a.example.com'], tls: [{ match: [{ sniHosts: ['b.example.com'] }], route }] }), [['MAST2031', 'spec.tls[0].match[0].sniHosts[0]']]);
    assert.deepEqual(spec({ hosts: ['*.example.com'], tls: [{ match: [{ sniHosts: ['a.example.com'] }], route }] }), []);
    // sourceSubnet is the one L4 match field Mast does not translate.
    assert.deepEqual(spec({ hosts: ['db'], tcp: [{ match: [{ sourceSubnet: '10.0.0.0/8' }], route }] }), [['MAST1008', 'spec.tcp[0].match[0].sourceSubnet']]);
  });

  test('rules that can never match are warnings (IST0130, IST0131), not refusals', () => {
    assert.deepEqual(spec({ hosts: ['reviews'], http: [{ route }, { route }] }), [['MAST2039', 'spec.http[1]']]);
    const prefix = (p: string): Raw => ({ match: [{ uri: { prefix: p } }], route });
    assert.deepEqual(spec({ hosts: ['reviews'], http: [prefix('/api'), prefix('/api/v1')] }), [['MAST2039', 'spec.http[1].match[0]']]);
    assert.deepEqual(spec({ hosts: ['reviews'], http: [prefix('/api/v1'), prefix('/api')] }), []);
  });
});

describe('DestinationRule (ValidateDestinationRule, validateTrafficPolicy)', () => {
  test('host and subsets: a DNS name; subset names are DNS labels with valid labels, which may be none', () => {
    assert.deepEqual(dr({ host: 'Bad_Host' }), [['MAST2015', 'spec.host']]);
    assert.deepEqual(dr({ subsets: [{ name: 'V_1' }] }), [['MAST2026', 'spec.subsets[0].name']]);
    assert.deepEqual(dr({ subsets: [{ name: 'v1', labels: { 'bad key!': 'x' } }] }), [['MAST2027', 'spec.subsets[0].labels']]);
    assert.deepEqual(dr({ subsets: [{ name: 'all' }] }), []);
  });

  test('a traffic policy sets something, and what it sets is valid', () => {
    assert.deepEqual(dr({ trafficPolicy: {} }), [['MAST2032', 'spec.trafficPolicy']]);
    assert.deepEqual(dr({ trafficPolicy: { connectionPool: {} } }), [['MAST2032', 'spec.trafficPolicy.connectionPool']]);
    assert.deepEqual(dr({ trafficPolicy: { connectionPool: { http: { maxRetries: -1 } } } }), [['MAST2032', 'spec.trafficPolicy.connectionPool.http.maxRetries']]);
    assert.deepEqual(dr({ trafficPolicy: { loadBalancer: { consistentHash: { maglev: { tableSize: 65536 } } } } }), [['MAST2032', 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize']]);
    assert.deepEqual(dr({ trafficPolicy: { outlierDetection: { maxEjectionPercent: 101 } } }), [['MAST2019', 'spec.trafficPolicy.outlierDetection.maxEjectionPercent']]);
    assert.deepEqual(dr({ trafficPolicy: { outlierDetection: { consecutiveErrors: 5 } } }), [['MAST2040', 'spec.trafficPolicy.outlierDetection.consecutiveErrors']]);
    assert.deepEqual(dr({ trafficPolicy: { tls: { mode: 'MUTUAL' } } }), [
      ['MAST2032', 'spec.trafficPolicy.tls.clientCertificate'],
      ['MAST2032', 'spec.trafficPolicy.tls.privateKey'],
    ]);
    const distribute = (to: Raw): Finding[] => dr({ trafficPolicy: { loadBalancer: { localityLbSetting: { distribute: [{ from: 'us-west/*', to }] } } } });
    assert.deepEqual(distribute({ 'us-west/*': 60 }), [['MAST2032', 'spec.trafficPolicy.loadBalancer.localityLbSetting']], 'weights add up to 100');
    assert.deepEqual(distribute({ 'us-west/*': 60, 'us-east/*': 40 }), []);
    const locality = (setting: Raw, outlier?: Raw): Finding[] => dr({ trafficPolicy: { loadBalancer: { localityLbSetting: setting }, ...(outlier ? { outlierDetection: outlier } : {}) } });
    const at = 'spec.trafficPolicy.loadBalancer.localityLbSetting';
    assert.deepEqual(locality({ failover: [{ from: 'r1', to: 'r1' }] }, { consecutive5xxErrors: 1 }), [['MAST2032', at]], 'failover from and to the same region');
    assert.deepEqual(locality({ failover: [{ from: 'r1', to: 'r2' }], distribute: [{ from: 'r1/*', to: { 'r1/*': 100 } }] }), [['MAST2032', at]], 'distribute and failover both');
    assert.deepEqual(locality({ failover: [{ from: 'r1', to: 'r2' }] }), [['MAST2041', at]], 'failover without outlier detection: a warning, as in Istio');
  });

  test('a workload selector keeps the rule in its own namespace', () => {
    assert.deepEqual(dr({ workloadSelector: { matchLabels: { app: 'a' } }, exportTo: ['*'] }), [['MAST2028', 'spec.exportTo']]);
    assert.deepEqual(dr({ workloadSelector: { matchLabels: { app: 'a' } } }), []);
  });
});

describe('Gateway (ValidateGateway, validateServer, validateTLSOptions)', () => {
  test("the Gateway's name is a DNS label; servers have unique, named ports of known protocols", () => {
    // Istio's rule (a DNS-1123 label) and the API server's (a DNS-1123 subdomain, lower case) both refuse it.
    assert.deepEqual(gw([server({})], { name: 'Bad_Name' }), [['MAST2026', 'metadata.name'], ['MAST2103', 'metadata.name']]);
    assert.deepEqual(gw([]), [['MAST2033', 'spec.servers']]);
    assert.deepEqual(gw([server({ port: { number: 80, name: '', protocol: 'HTTP' } })]), [['MAST2033', 'spec.servers[0].port.name']]);
    assert.deepEqual(gw([server({ port: { number: 80, name: 'x', protocol: 'BOGUS' } })]), [['MAST2033', 'spec.servers[0].port.protocol']]);
    assert.deepEqual(gw([server({}), server({ port: { number: 81, name: 'http', protocol: 'HTTP' } })]), [['MAST2033', 'spec.servers[1].port.name']]);
    assert.deepEqual(gw([server({ bind: 'x' })]), [['MAST1008', 'spec.servers[0].bind'], ['MAST2033', 'spec.servers[0].bind']]);
  });

  test('server hosts: FQDNs or `*`, optionally namespace/, wildcards only as a whole first label', () => {
    assert.deepEqual(gatewayServerHostProblems('ns/*', false), []);
    assert.deepEqual(gatewayServerHostProblems('./a.example.com', false), []);
    assert.deepEqual(gatewayServerHostProblems('10.0.0.1', false), []);
    assert.equal(gatewayServerHostProblems('short', false).length, 1);
    assert.equal(gatewayServerHostProblems('*a.com', false).length, 1);
    assert.equal(gatewayServerHostProblems('~/a.com', false).length, 1);
    assert.deepEqual(gatewayServerHostProblems('~/a.com', true), []);
    assert.deepEqual(gw([server({ hosts: ['short'] })]), [['MAST2015', 'spec.servers[0].hosts[0]']]);
  });

  test('TLS settings fit the protocol and the mode; HTTPS SIMPLE, MUTUAL and OPTIONAL_MUTUAL with a credentialName, ISTIO_MUTUAL, and httpsRedirect are translated', () => {
    const https = (tls?: Raw): Raw => ({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], ...(tls ? { tls } : {}) });
    const modeIgnored: Finding = ['MAST1008', 'spec.servers[0].tls.mode'];
    assert.deepEqual(gw([https()]), [['MAST2033', 'spec.servers[0].tls']]);
    assert.deepEqual(gw([https({ mode: 'SIMPLE', credentialName: 'cert' })]), []);
    assert.deepEqual(gw([https({ mode: 'MUTUAL', credentialName: 'cert', subjectAltNames: ['client.example.com'] })]), []);
    assert.deepEqual(gw([https({ mode: 'SIMPLE' })]), [['MAST2034', 'spec.servers[0].tls.serverCertificate'], ['MAST2034', 'spec.servers[0].tls.privateKey']]);
    assert.deepEqual(gw([https({ mode: 'OPTIONAL_MUTUAL', credentialName: 'cert' })]), []);
    assert.deepEqual(gw([https({ mode: 'ISTIO_MUTUAL' })]), []);
    assert.deepEqual(gw([https({ mode: 'ISTIO_MUTUAL', credentialName: 'cert' })]), [['MAST2034', 'spec.servers[0].tls']]);
    // Served as on TLS (translate/sni-dnat.ts), with a warning to declare TLS.
    assert.deepEqual(gw([https({ mode: 'AUTO_PASSTHROUGH' })]), [['MAST2048', 'spec.servers[0].port.protocol']]);
    // TLS terminated, then routed as TCP; ISTIO_MUTUAL there is not translated yet.
    assert.deepEqual(gw([{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['*'], tls: { mode: 'SIMPLE', credentialName: 'cert' } }]), []);
    assert.deepEqual(gw([{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['*'], tls: { mode: 'ISTIO_MUTUAL' } }]), [modeIgnored]);
    assert.deepEqual(gw([https({ mode: 'SIMPLE', credentialName: 'cert', cipherSuites: ['BOGUS'], minProtocolVersion: 'TLSV1_3' })]), [['MAST2041', 'spec.servers[0].tls']]);
    assert.deepEqual(gw([server({ tls: { httpsRedirect: true } })]), [], 'a plain-text HTTP server may redirect to https');
    assert.deepEqual(gw([server({ tls: { mode: 'SIMPLE', credentialName: 'cert' } })]), [['MAST2033', 'spec.servers[0].tls']]);
  });

  test('certificates from files, credentialNames and tlsCertificates are translated; at most 2 of a list (the schema, MAST1006), no `~` in a path (MAST2051)', () => {
    const https = (tls: Raw): Raw => ({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls });
    const files = { serverCertificate: '/etc/certs/tls.crt', privateKey: '/etc/certs/tls.key' };
    assert.deepEqual(gw([https({ mode: 'SIMPLE', ...files })]), []);
    assert.deepEqual(gw([https({ mode: 'MUTUAL', ...files, caCertificates: '/etc/certs/ca.crt', caCrl: '/etc/certs/ca.crl', subjectAltNames: ['client'] })]), []);
    assert.deepEqual(gw([https({ mode: 'SIMPLE', credentialNames: ['rsa', 'ecdsa'] })]), []);
    assert.deepEqual(gw([https({ mode: 'MUTUAL', tlsCertificates: [files, files], caCertificates: '/etc/certs/ca.crt' })]), []);
    // Istio's own rules still hold: MUTUAL needs a CA; one certificate source; no CRL under SIMPLE.
    assert.deepEqual(gw([https({ mode: 'MUTUAL', ...files })]), [['MAST2034', 'spec.servers[0].tls']]);
    assert.deepEqual(gw([https({ mode: 'SIMPLE', ...files, credentialName: 'cert' })]), [['MAST2034', 'spec.servers[0].tls']]);
    assert.deepEqual(gw([https({ mode: 'SIMPLE', ...files, caCrl: '/etc/certs/ca.crl' })]), [['MAST2034', 'spec.servers[0].tls']]);
    // The schema holds both lists to 2, as Istio's CRD does.
    assert.deepEqual(gw([https({ mode: 'SIMPLE', credentialNames: ['a', 'b', 'c'] })]), [['MAST1006', 'spec.servers[0].tls.credentialNames']]);
    assert.deepEqual(gw([https({ mode: 'SIMPLE', tlsCertificates: [files, files, files] })]), [['MAST1006', 'spec.servers[0].tls.tlsCertificates']]);
    assert.deepEqual(gw([https({ mode: 'SIMPLE', serverCertificate: '/home/~me/tls.crt', privateKey: '/etc/certs/tls.key' })]), [['MAST2051', 'spec.servers[0].tls.serverCertificate']]);
    assert.deepEqual(gw([https({ mode: 'MUTUAL', tlsCertificates: [{ ...files, privateKey: '/k~' }], caCertificates: '/c~' })]), [['MAST2051', 'spec.servers[0].tls.caCertificates'], ['MAST2051', 'spec.servers[0].tls.tlsCertificates[0].privateKey']]);
  });
});

test("names: Istio's DNS rules", () => {
  for (const ok of ['reviews', 'reviews.default.svc.cluster.local', '*', '*.example.com', '*-svc.ns', '*foo.com', 'example.com.', 'UPPER.example.com']) {
    assert.equal(wildcardDomainProblem(ok), undefined, ok);
  }
  for (const bad of ['', 'Bad_Host', 'foo.*.com', 'x.123', '-bad.com', `${'a'.repeat(64)}.com`, '10.0.0.1']) {
    assert.notEqual(wildcardDomainProblem(bad), undefined, bad);
  }
  assert.deepEqual(labelProblems({ app: 'a', 'example.com/tier': 'a_b', empty: '' }), []);
  assert.equal(labelProblems({ 'bad key!': 'x', ok: 'not valid!' }).length, 2);
});
