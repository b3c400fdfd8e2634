// Hand-written corner cases for the differential test: the less common paths of Istio's
// validation that the generators reach seldom (deprecated fields, delegates, SNI hosts, redirects
// with prefixRewrite or derivePort, base64 bodies, unix sockets, TLS certificate sources, ...).
import type { Raw } from './istioctl';

const r = [{ destination: { host: 'reviews' } }];
/** Http rules, each in a VirtualService of its own. */
const RULES: Raw[] = [
  { route: r, mirror: { host: 'a' }, mirrorPercent: 150 },
  { route: r, mirror: { host: 'a' }, mirrorPercent: 50 },
  { route: r, fault: { abort: { http2Error: 'x' } } },
  { route: r, fault: { delay: { exponentialDelay: '1s' } } },
  { redirect: { derivePort: 'FROM_PROTOCOL_DEFAULT' } },
  { redirect: { prefixRewrite: '/x' }, match: [{ uri: { regex: '/a' } }] },
  { redirect: { prefixRewrite: '/x', uri: '/y' } },
  { redirect: { prefixRewrite: '/x' }, match: [{ uri: { prefix: '/a' } }] },
  { directResponse: { status: 200, body: { bytes: 'aGVsbG8=' } } },
  { directResponse: { status: 200, body: { bytes: '!!notbase64' } } },
  { route: r, corsPolicy: { allowOrigin: ['*'] } },
  { route: r, corsPolicy: { allowOrigins: [{}] } },
  { route: r, corsPolicy: { maxAge: '0.5s' } },
  { route: r, corsPolicy: { maxAge: '0s' } },
  { route: r, retries: { attempts: 1, backoff: '0.1ms' } },
  { route: r, retries: { attempts: 0, retryRemoteLocalities: false } },
  { route: r, retries: { attempts: 1, retryOn: ' 5xx' } },
  { route: r, headers: { request: { add: { ':authority': 'a' } } }, rewrite: { authority: 'b' } },
  { route: r, headers: { request: { set: { host: 'a', ':authority': 'b' } } } },
  { route: r, headers: { request: { set: { 'x-a': '%REQ(x-a)% and %%' } } } },
  { route: r, headers: { response: { remove: [':status'] } } },
  { route: r, match: [{ headers: { a: null } }] },
  { route: r, match: [{ withoutHeaders: { a: {} } }] },
  { route: [{ destination: { host: 'reviews', port: { number: 0 } } }] },
  { route: [{ destination: { host: 'reviews' }, weight: 0 }] },
  { route: [{ destination: { host: 'reviews.' } }] },
  { route: r, timeout: '1.0000001ms' },
  { route: r, mirrors: [{ destination: { host: 'a' } }, { destination: { host: '*' } }] },
  { route: r, mirror: { host: 'a', port: { number: 70000 } } },
  { route: r, match: [{ uri: { prefix: '/' }, port: 80 }, { uri: { prefix: '/' }, port: 80 }] },
  { route: r, rewrite: { uriRegexRewrite: { match: '', rewrite: '/' } } },
  { route: r, match: [{ uri: { regex: '*' } }] },
  { delegate: { name: 'd' }, redirect: { uri: '/' } },
  { delegate: { name: 'd' } },
];
const SPECS: [string, Raw][] = [
  ...RULES.map((rule): [string, Raw] => ['VirtualService', { hosts: ['reviews'], http: [rule] }]),
  ['VirtualService', { http: [{ route: r, delegate: { name: 'x' } }] }],
  ['VirtualService', { hosts: ['reviews'], http: [{ route: r }], tls: [{ match: [{ sniHosts: ['reviews'] }], route: r }] }],
  ['VirtualService', { hosts: ['a.com'], gateways: ['gw'], tls: [{ match: [{ sniHosts: ['outbound_.80_._.a.com'] }], route: r }] }],
  ['VirtualService', { hosts: ['*.com'], gateways: ['gw'], tls: [{ match: [{ sniHosts: ['10.0.0.1'] }], route: r }] }],
  ['VirtualService', { hosts: ['a.com', 'A.com'], http: [{ route: r }] }],
  ['VirtualService', { hosts: ['reviews'], gateways: ['mesh', 'a.b.c'], http: [{ route: r }] }],
  ['VirtualService', { hosts: ['reviews'], gateways: ['a.b', 'Bad_x/y'], http: [{ route: r }] }],
  ['VirtualService', { hosts: ['reviews'], http: [{ route: r, match: [{ gateways: ['a/b', 'x.y'] }] }] }],
  ['VirtualService', { hosts: ['reviews'], http: [{ route: r }], exportTo: ['default', '.'] }],
  ['DestinationRule', { host: 'reviews', trafficPolicy: { portLevelSettings: [] } }],
  ['DestinationRule', { host: 'reviews', trafficPolicy: { tunnel: { targetHost: 'a.com', targetPort: 80 }, proxyProtocol: {} } }],
  ['DestinationRule', { host: 'reviews', trafficPolicy: { loadBalancer: { consistentHash: { minimumRingSize: 10, ringHash: {} } } } }],
  ['DestinationRule', { host: 'reviews', trafficPolicy: { loadBalancer: { localityLbSetting: { failover: [{ from: 'a', to: 'b' }], failoverPriority: ['topology.kubernetes.io/zone'] } } } }],
  ['DestinationRule', { host: 'reviews', trafficPolicy: { loadBalancer: { warmup: { duration: '1s', aggression: 0 } } } }],
  ['DestinationRule', { host: 'reviews', trafficPolicy: { tls: { mode: 'SIMPLE', insecureSkipVerify: true, caCertificates: '/x' } } }],
  ['DestinationRule', { host: 'reviews', trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'c', caCrl: '/x' } } }],
  ['DestinationRule', { host: 'reviews', trafficPolicy: { connectionPool: { http: { http2KeepAlive: { interval: '1s' } } } } }],
  ['DestinationRule', { host: 'reviews', trafficPolicy: { outlierDetection: { consecutiveLocalOriginFailures: 2 } } }],
  ['DestinationRule', { host: 'reviews', subsets: [{ name: 'v1' }, { name: 'v1' }], workloadSelector: { matchLabels: { '': 'a' } } }],
  ['DestinationRule', { host: '*.reviews.com', exportTo: ['default'] , workloadSelector: { matchLabels: { a: 'b' } } }],
  ['Gateway', { servers: [{ port: { number: 0, name: 'u', protocol: 'HTTP' }, bind: 'unix:///a.sock', hosts: ['*'] }] }],
  ['Gateway', { servers: [{ port: { number: 80, name: 'u', protocol: 'HTTP' }, bind: 'unix://rel', hosts: ['*'] }] }],
  ['Gateway', { servers: [{ port: { number: 443, name: 'h', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'MUTUAL', credentialName: 'c', caCrl: 'x' } }] }],
  ['Gateway', { servers: [{ port: { number: 443, name: 'h', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'SIMPLE', serverCertificate: 'a', privateKey: 'b', credentialName: 'c' } }] }],
  ['Gateway', { servers: [{ port: { number: 443, name: 'h', protocol: 'TLS' }, hosts: ['*'], tls: { mode: 'PASSTHROUGH', credentialName: 'c' } }] }],
  ['Gateway', { servers: [{ port: { number: 443, name: 'h', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'SIMPLE', tlsCertificates: [{ serverCertificate: 'a' }] } }] }],
  ['Gateway', { servers: [{ port: { number: 80, name: 'h', protocol: 'HTTP' }, hosts: ['*'], tls: { mode: 'PASSTHROUGH', serverCertificate: 'x' } }] }],
  ['Gateway', { servers: [{ port: { number: 80, name: 'h', protocol: 'hbone' }, hosts: ['*'] }] }],
  ['Gateway', { servers: [{ port: { number: 80, name: 'h', protocol: 'HTTP' }, hosts: ['ns/*.a.com', '*/b.com', './c', '.'] }] }],
];

export function cornerObjects(): Raw[] {
  return SPECS.map(([kind, spec], i) => ({ apiVersion: 'networking.istio.io/v1', kind, metadata: { name: `corner-${i}`, namespace: 'default' }, spec }));
}
