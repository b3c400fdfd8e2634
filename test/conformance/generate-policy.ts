// Generated DestinationRule and Gateway specs for the differential test: traffic policies (load
// balancers, connection pools, outlier detection, client TLS, tunnels), subsets, workload
// selectors, and Gateway servers whose TLS settings fit, or now and then do not fit, their protocol.
import fc from 'fast-check';
import { pick, type Choices } from './choices';
import type { Raw } from './istioctl';

interface Values {
  host: fc.Arbitrary<string>;
  duration: fc.Arbitrary<string>;
  labels: fc.Arbitrary<Record<string, string>>;
}

export function policyArbitraries(c: Choices, { host, duration, labels }: Values) {
  const { odd, either, rarely, some } = c;
  const trafficPolicy = some({
    loadBalancer: fc.oneof(
      pick('ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM').map((simple) => ({ simple })),
      odd([7, 65537], [0, 65536, 5000011]).map((tableSize) => ({ consistentHash: { maglev: { tableSize } } })),
      odd(['user'], ['']).map((name) => ({ consistentHash: { httpCookie: { name, ttl: '0s' } } })),
      fc.record({
        simple: pick('ROUND_ROBIN'),
        localityLbSetting: odd<Raw>(
          [{ distribute: [{ from: 'us-west/zone1/*', to: { 'us-west/zone1/*': 80, 'us-west/zone2/*': 20 } }] }, { failover: [{ from: 'us-east', to: 'us-west' }] }, { enabled: true }],
          [{ distribute: [{ from: 'us-west', to: { 'us-west': 60 } }] }, { failover: [{ from: 'us-east', to: 'us-east' }] }, { distribute: [{ from: 'a/*/b', to: { a: 100 } }] }],
        ),
        warmup: rarely(some({ duration: duration, minimumPercent: odd([10], [150]), aggression: odd([1.5], [0]) })),
      }),
    ),
    connectionPool: either(
      fc.record({
        tcp: some({ maxConnections: odd([100], [-1]), connectTimeout: duration, idleTimeout: duration, maxConnectionDuration: duration }),
        http: some({ http1MaxPendingRequests: odd([10], [-1]), maxRetries: odd([3], [-1]), idleTimeout: duration, h2UpgradePolicy: pick('UPGRADE', 'DEFAULT'), useClientProtocol: odd([false], [true]) }),
      }, { requiredKeys: ['tcp'] }),
      fc.constant({}),
    ),
    outlierDetection: some({
      consecutive5xxErrors: pick(5, 0),
      consecutiveErrors: pick(5),
      interval: duration,
      baseEjectionTime: duration,
      maxEjectionPercent: odd([10, 100], [101, -1]),
      minHealthPercent: odd([0, 50], [150]),
      consecutiveLocalOriginFailures: odd([0], [3]),
      splitExternalLocalOriginErrors: fc.boolean(),
    }),
    tls: either(
      fc.oneof(
        fc.record({ mode: pick('DISABLE', 'ISTIO_MUTUAL') }),
        fc.record({ mode: pick('SIMPLE', 'MUTUAL'), credentialName: odd(['cred', 'configmap://default/ca'], ['configmap://other/ca', 'configmap://x']) }),
        fc.constant({ mode: 'MUTUAL', clientCertificate: '/c.pem', privateKey: '/k.pem' }),
      ),
      some({ mode: pick('SIMPLE', 'MUTUAL'), credentialName: pick('cred'), clientCertificate: pick('/c.pem'), privateKey: pick('/k.pem') }),
    ),
    portLevelSettings: fc.array(fc.record({ port: odd([{ number: 9080 }], [{}]), loadBalancer: fc.constant({ simple: 'RANDOM' }) }), { maxLength: 1 }),
    tunnel: rarely(fc.record({ protocol: odd(['CONNECT', 'POST'], ['GET']), targetHost: odd(['proxy.example.com', '10.0.0.9'], ['', 'bad host']), targetPort: odd([8080], [0]) }, { requiredKeys: ['targetHost', 'targetPort'] })),
  });

  const destinationRule = some({
    host,
    subsets: either(
      fc.uniqueArray(fc.record({ name: odd(['v1', 'v2', 'v3'], ['', 'V_1']), labels, trafficPolicy }, { requiredKeys: ['name'] }), { maxLength: 3, selector: (s) => s.name }),
      fc.array(some({ name: pick('v1', ''), labels }), { minLength: 1, maxLength: 3 }),
    ),
    trafficPolicy,
    exportTo: odd<string[]>([['.'], ['*']], [['~']]),
    workloadSelector: rarely(odd<Raw>([{ matchLabels: { app: 'reviews' } }], [{ matchLabels: {} }, { matchLabels: { app: '*' } }])),
  }).map((spec) => ({ host: 'reviews', ...spec, ...(spec.workloadSelector && (spec.exportTo as string[] | undefined)?.[0] === '*' ? { exportTo: ['.'] } : {}) }));

  const tlsOptions = some({
    httpsRedirect: fc.boolean(),
    minProtocolVersion: odd(['TLSV1_2'], ['TLSV1_0']),
    cipherSuites: fc.array(odd(['ECDHE-RSA-AES128-GCM-SHA256'], ['BOGUS', '-ALL']), { maxLength: 2 }),
  });
  /** TLS settings that fit a server's protocol: none or a redirect on HTTP, terminating or passing through on HTTPS and TLS. */
  const serverTls = (protocol: string): fc.Arbitrary<Raw | undefined> => {
    if (['HTTP', 'http2', 'GRPC'].includes(protocol)) return odd<Raw | undefined>([undefined, { httpsRedirect: true }], [{ mode: 'SIMPLE', credentialName: 'cert' }]);
    if (protocol === 'TCP' || protocol === 'BOGUS') return odd<Raw | undefined>([undefined], [{ mode: 'SIMPLE' }]);
    const modes = either(
      fc.oneof(
        fc.record({ mode: pick('SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL'), credentialName: pick('cert') }),
        fc.constant({ mode: 'SIMPLE', serverCertificate: '/etc/cert.pem', privateKey: '/etc/key.pem' }),
        fc.constant({ mode: 'MUTUAL', serverCertificate: '/etc/cert.pem', privateKey: '/etc/key.pem', caCertificates: '/etc/ca.pem' }),
        fc.record({ mode: pick('PASSTHROUGH', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL') }),
      ),
      some({ mode: pick('SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL', 'PASSTHROUGH'), credentialName: pick('cert'), serverCertificate: pick('/etc/cert.pem'), caCertificates: pick('/etc/ca.pem') }),
    );
    return fc.tuple(modes, tlsOptions).map(([m, o]) => ({ ...o, ...m }));
  };

  const server = fc
    .record({
      number: odd([80, 443, 8080], [0, 70000]),
      targetPort: rarely(odd([0], [8443])),
      name: odd(['http', 'https', 'tcp'], ['']),
      protocol: odd(['HTTP', 'HTTPS', 'TCP', 'TLS', 'GRPC', 'http2'], ['BOGUS']),
      hosts: fc.array(odd(['*', '*.example.com', 'ns/*', './a.example.com', 'a.example.com', '10.0.0.1'], ['short', 'Bad/x.com', '*a.com', '~/x.com', 'ns/']), { minLength: 1, maxLength: 2 }),
      bind: rarely(odd(['0.0.0.0'], ['unix:///var/run/gw.sock', 'x'])),
    })
    .chain(({ number, name, protocol, hosts, bind, targetPort }) =>
      serverTls(protocol).map((tls) => ({ port: { number, name, protocol, ...(targetPort === undefined ? {} : { targetPort }) }, hosts, ...(tls ? { tls } : {}), ...(bind ? { bind } : {}) })),
    );

  const gateway = fc
    .array(server, { minLength: 1, maxLength: 2 })
    // Port names are unique unless one is left empty.
    .map((servers) => ({ selector: { istio: 'ingressgateway' }, servers: servers.map((s, i) => (s.port.name ? { ...s, port: { ...s.port, name: `${s.port.name}-${i}` } } : s)) }));

  return { destinationRule, gateway };
}
