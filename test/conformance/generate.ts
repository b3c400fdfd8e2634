// Generated VirtualServices, DestinationRules and Gateways for the differential test: mostly
// well-formed objects with odd values mixed in where Istio's validation draws its lines (empty
// and invalid string matches, regexes RE2 and Go disagree on, relative, zero and negative weights,
// unknown retry conditions, out-of-range percentages and statuses, durations under 1ms, header
// names and values, hosts, subsets, TLS settings). fast-check with a fixed seed, so every run
// compares the same objects.
import fc from 'fast-check';
import type { Raw } from './istioctl';

const pick = <T>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);
/**
 * The arbitraries of one object, where `unusual` weighs the odd values against the usual ones
 * (0: none at all), so that a share of the objects are valid by construction.
 */
export function objectArbitrary(unusual: number) {
  /** A usual value, or now and then an odd one. */
  const odd = <T>(usual: T[], unusualValues: T[]): fc.Arbitrary<T> =>
    unusual === 0 ? fc.constantFrom(...usual) : fc.oneof({ weight: 40, arbitrary: fc.constantFrom(...usual) }, { weight: unusual, arbitrary: fc.constantFrom(...unusualValues) });
  /** One arbitrary usually, now and then the other. */
  const either = <T>(usual: fc.Arbitrary<T>, other: fc.Arbitrary<T>): fc.Arbitrary<T> =>
    unusual === 0 ? usual : fc.oneof({ weight: 40, arbitrary: usual }, { weight: unusual, arbitrary: other });
  /** Now and then present. */
  const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { freq: 4, nil: undefined });
  /** A record whose keys are each present or absent. */
  const some = <T extends Record<string, fc.Arbitrary<unknown>>>(model: T) => fc.record(model, { requiredKeys: [] });

  const host = odd(['reviews', 'reviews.default.svc.cluster.local', 'ratings.prod', '*.example.com', 'example.com.', '*-svc.ns', '10.0.0.1', 'UPPER.example.com'], ['*', '', 'Bad_Host', '*foo.com', 'foo.*.com', 'x.123', '-bad.com', `${'a'.repeat(64)}.com`]);
  const destinationHost = odd(['reviews', 'ratings.prod.svc.cluster.local', '*.example.com'], ['*', '', 'bad host', 'x.123']);
  const text = odd(['/', '/api', '/api/v1', 'GET', 'jason', 'a b', '*', 'https'], ['']);
  const regex = odd(
    ['.*', '^/v[0-9]+/.*', '^/api/(v1|v2)$', '(?i)abc', 'a{2,1000}', '\\z', '\\Q.*\\E', '[[:alpha:]]+', '(?P<n>x)', '(?<name>a)', '\\pN', '\\p{Greek}', '\\_', '[^]]', '\\x{41}', '(?U)a+', '(?m)^a$', '\\b\\w+\\b'],
    ['', '[', '(a)\\1', '(?=x)', 'a{1001}', '\\C', '\\Z', '[[:foo:]]', 'x**', '*', '\\8', 'a'.repeat(1100)],
  );
  const stringMatch = fc.oneof(
    text.map((exact) => ({ exact })),
    text.map((prefix) => ({ prefix })),
    regex.map((r) => ({ regex: r })),
    fc.constant({}),
  );
  const headerName = odd(['end-user', 'x-Foo', ':authority', 'cookie', 'x_under', 'Host'], ['bad header', '', '@request.auth.claims.sub', '@request.auth.claims[a][b]', ':path']);
  const headerMatches = fc.dictionary(headerName, stringMatch, { maxKeys: 2 });
  const duration = odd(['1s', '0.5s', '300ms', '2m', '1h30m', '+2s', '1.5s', '10ms'], ['0s', '0', '1.5ms', '100us', '-1s', 'abc', '10', '1.0005s']);
  const percentage = odd([0, 0.0001, 0.5, 50, 100], [0.00001, 100.5, 250, -1]);
  const labels = odd<Record<string, string>>([{ version: 'v1' }, { app: 'reviews', version: 'v2' }, {}, { 'example.com/tier': 'a_b' }], [{ 'bad key!': 'x' }, { version: 'not valid!' }]);
  const gatewayRefs = odd([[], ['mesh'], ['gw'], ['istio-system/gw'], ['gw.istio-system'], ['mesh', 'gw']], [['Bad/gw'], ['ns/'], ['gw', 'ns/Bad_Name']]);
  const headerValue = odd(['v', '%HOSTNAME%', '100%%', '%REQ(x-a)%', '%UPSTREAM_METADATA(["a", "b"])%'], ['100%', '%START_TIME%%', 'a\u0001b', '%REQ(x']);
  const opName = odd(['x-a', 'X-Upper', 'x-b'], ['Host', ':path', ':authority', '']);
  const headerOps = some({
    set: fc.dictionary(opName, headerValue, { maxKeys: 2 }),
    add: fc.dictionary(opName, headerValue, { maxKeys: 1 }),
    remove: fc.array(opName, { maxLength: 2 }),
  });
  const headers = rarely(some({ request: headerOps, response: headerOps }));

  const destination = some({
    host: destinationHost,
    subset: odd(['v1', 'v2', 'V1'], ['', 'v_1']),
    port: odd([{ number: 9080 }, { number: 80 }], [{ number: 0 }, { number: 70000 }, {}]),
  }).map((d) => ({ host: 'reviews', ...d }));

  const routeDestination = fc.record(
    { destination, weight: odd([0, 10, 25, 50, 75, 100, 150], [-50]), headers },
    { requiredKeys: ['destination'] },
  );

  const matchRequest = some({
    name: pick('m', 'n'),
    uri: stringMatch,
    scheme: stringMatch,
    method: stringMatch,
    authority: stringMatch,
    headers: headerMatches,
    queryParams: fc.dictionary(pick('q', 'id'), stringMatch, { maxKeys: 1 }),
    withoutHeaders: fc.dictionary(headerName, fc.oneof(stringMatch, fc.constant({ regex: '*' })), { maxKeys: 1 }),
    port: odd([0, 80, 9080], [70000]),
    sourceLabels: labels,
    gateways: gatewayRefs,
    sourceNamespace: odd(['default', ''], ['Bad_NS']),
    ignoreUriCase: fc.boolean(),
  });

  const retryOn = odd(['5xx', 'gateway-error,connect-failure,refused-stream', '503', '+503', 'retriable-4xx,409', 'cancelled,unavailable', 'reset-before-request'], ['5xx,conect-failure', '5xx,', '999']);
  const retries = either<Raw>(
    fc.record({ attempts: odd([1, 3], [-1]), perTryTimeout: duration, retryOn, retryRemoteLocalities: fc.boolean() }, { requiredKeys: ['attempts'] }),
    // retries turned off (attempts 0 or none) while other retry settings are given
    fc.record({ attempts: pick(0), perTryTimeout: duration, retryOn }, { requiredKeys: ['retryOn'] }),
  );

  const abort = fc.oneof(
    some({ percentage: percentage.map((value) => ({ value })) }).chain((a) =>
      fc.oneof(
        odd([400, 503, 600, 200], [601, 999, 199, 0]).map((httpStatus) => ({ ...a, httpStatus })),
        odd(['UNAVAILABLE', 'NOT_FOUND'], ['unavailable', 'BOGUS']).map((grpcStatus) => ({ ...a, grpcStatus })),
        fc.constant(a),
      ),
    ),
  );
  const delay = some({ percentage: percentage.map((value) => ({ value })), fixedDelay: duration });
  const fault = some({ abort, delay });

  const cors = some({
    allowOrigins: fc.array(stringMatch, { maxLength: 2 }),
    allowMethods: fc.array(odd(['GET', 'POST', '*'], ['get', 'FOO']), { maxLength: 2 }),
    allowHeaders: fc.array(odd(['x-a', '*'], ['', 'bad header']), { maxLength: 2 }),
    exposeHeaders: fc.array(odd(['x-b'], ['bad header']), { maxLength: 1 }),
    maxAge: duration,
    allowCredentials: fc.boolean(),
  });

  const redirect = some({
    uri: odd(['/new'], ['']),
    authority: odd(['example.com'], ['']),
    port: odd([8080, 0], [70000]),
    scheme: odd(['https', 'http'], ['ftp']),
    redirectCode: odd([301, 308], [200, 404]),
  });
  const rewrite = some({
    uri: odd(['/', '/v2'], ['']),
    authority: odd(['example.com'], ['']),
    uriRegexRewrite: rarely(some({ match: regex, rewrite: odd(['/\\1'], ['']) })),
  });
  const directResponse = fc.record(
    { status: odd([200, 404, 503, 600], [601, 100]), body: fc.oneof(pick('hello', '').map((s) => ({ string: s })), fc.constant({ bytes: 'aGVsbG8=' })) },
    { requiredKeys: ['status'] },
  );
  const mirror = destination;

  const httpRoute = fc
    .record(
      {
        name: pick('r1', 'r2'),
        match: fc.array(matchRequest, { maxLength: 2 }),
        timeout: duration,
        retries,
        fault,
        corsPolicy: cors,
        headers,
        mirror,
        mirrors: fc.array(fc.record({ destination: mirror, percentage: percentage.map((value) => ({ value })) }, { requiredKeys: ['destination'] }), { maxLength: 1 }),
        mirrorPercentage: percentage.map((value) => ({ value })),
        rewrite,
      },
      { requiredKeys: [] },
    )
    .chain((rule) =>
      either(
        fc.oneof(
          { weight: 6, arbitrary: fc.array(routeDestination, { minLength: 1, maxLength: 3 }).map((route) => ({ ...rule, route })) },
          { weight: 1, arbitrary: redirect.map(({ uri = '/new', ...r }) => ({ ...rule, redirect: { uri, ...r } })) },
          { weight: 1, arbitrary: directResponse.map((d) => ({ ...rule, directResponse: d })) },
        ),
        fc.oneof(
          // several destinations, none weighted; a rule that does nothing; several actions at once
          fc.array(routeDestination, { minLength: 2, maxLength: 2 }).map((route) => ({ ...rule, route: route.map(({ weight: _w, ...r }) => r) })),
          fc.constant(rule),
          fc.tuple(redirect, fc.array(routeDestination, { minLength: 1, maxLength: 1 })).map(([redirect, route]) => ({ ...rule, redirect, route })),
        ),
      ),
    );

  /** A handful of fields per rule keeps most generated objects close to valid, so both verdicts occur. */
  const sparseRule = httpRoute.chain((rule) =>
    fc.subarray(Object.keys(rule), { minLength: 0, maxLength: 2 }).map((keys) => {
      const keep = new Set([...keys, 'route', 'redirect', 'directResponse']);
      return Object.fromEntries(Object.entries(rule).filter(([k]) => keep.has(k)));
    }),
  );

  const tcpRoute = some({
    match: fc.array(some({ port: odd([0, 3306], [70000]), destinationSubnets: fc.array(odd(['10.0.0.0/8', '10.0.0.1'], ['10.0.0.0/33', 'x']), { maxLength: 1 }) }), { maxLength: 1 }),
    route: fc.array(routeDestination.map(({ headers: _h, ...r }) => r), { minLength: 1, maxLength: 2 }),
  });

  const tlsRoute = fc.record(
    {
      match: fc.array(
        // HOST stands for the VirtualService's first host.
        fc.record({ sniHosts: fc.array(odd(['HOST'], ['*', 'other.com', '10.0.0.1', 'outbound_.80_._.reviews']), { minLength: 1, maxLength: 2 }), port: odd([443], [70000]) }, { requiredKeys: ['sniHosts'] }),
        { minLength: 1, maxLength: 1 },
      ),
      route: fc.array(routeDestination.map(({ headers: _h, ...r }) => r), { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: ['route'] },
  );
  // A rule of a root VirtualService that hands its requests to a delegate VirtualService.
  const delegating = fc.record({ match: fc.array(matchRequest, { maxLength: 1 }), delegate: fc.constant({ name: 'reviews-delegate', namespace: 'default' }) }).chain((rule) =>
    either(fc.constant(rule), fc.array(routeDestination, { minLength: 1, maxLength: 1 }).map((route) => ({ ...rule, route }))),
  );
  const virtualService = fc.record({
    hosts: either(fc.uniqueArray(host, { minLength: 1, maxLength: 3 }), fc.constant<string[]>([])),
    gateways: gatewayRefs,
    http: fc.array(fc.oneof({ weight: 12, arbitrary: sparseRule }, { weight: 1, arbitrary: delegating }), { minLength: 1, maxLength: 3 }),
    tcp: rarely(fc.array(tcpRoute, { maxLength: 1 })),
    tls: rarely(fc.array(tlsRoute, { maxLength: 1 })),
    exportTo: odd([['.'], ['*'], ['default', 'ns']], [['.', 'default'], ['~'], ['*', 'ns'], ['Bad_NS']]),
  }, { requiredKeys: unusual ? [] : ['http'] }).map((spec) => {
    const hosts = spec.hosts ?? ['reviews'];
    const tls = spec.tls?.map((t) => ({ ...t, match: t.match?.map((m) => ({ ...m, sniHosts: m.sniHosts.map((h) => (h === 'HOST' ? (hosts[0] ?? 'reviews') : h)) })) }));
    return { ...spec, hosts, ...(tls ? { tls } : {}) };
  });

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

  const apiVersion = pick('networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3');
  const annotations = odd<Record<string, string> | undefined>(
    [undefined, { 'example.com/owner': 'team-a' }],
    [{ 'istio.io/dry-run': 'true' }, { 'internal.istio.io/webhook-always-reject': 'x' }, { 'internal.istio.io/route-semantics': 'gateway' }, { 'internal.istio.io/gateway-semantics': 'gateway' }],
  );
  const object = (kind: string, spec: fc.Arbitrary<unknown>, name: fc.Arbitrary<string>, annotated = true): fc.Arbitrary<Raw> =>
    fc.record({ apiVersion, spec, name, annotations: annotated ? annotations : fc.constant(undefined) }).map(({ apiVersion: v, spec: s, name: n, annotations: a }) => ({
      apiVersion: v,
      kind,
      metadata: { name: n, namespace: 'default', ...(a ? { annotations: a } : {}) },
      spec: s,
    }));
  // One http rule with one feature beside its route: an odd value there is the object's only fault.
  const focused = fc
    .oneof(
      retries.map((r) => ({ retries: r })),
      fault.map((f) => ({ fault: f })),
      fc.array(matchRequest, { minLength: 1, maxLength: 1 }).map((match) => ({ match })),
      cors.map((c) => ({ corsPolicy: c })),
      headers.map((h) => ({ headers: h ?? {} })),
      rewrite.map((r) => ({ rewrite: r })),
      duration.map((timeout) => ({ timeout })),
      fc.record({ mirror, mirrorPercentage: percentage.map((value) => ({ value })) }),
    )
    .chain((feature) => fc.array(routeDestination, { minLength: 1, maxLength: 2 }).map((route) => ({ hosts: ['reviews'], http: [{ ...feature, route }] })));
  return fc.oneof(
    { weight: unusual >= 10 ? 100 : 0, arbitrary: object('VirtualService', focused, fc.constant('gen'), false) },
    { weight: 12, arbitrary: object('VirtualService', virtualService, fc.constant('gen')) },
    { weight: 5, arbitrary: object('DestinationRule', destinationRule, fc.constant('gen')) },
    { weight: 3, arbitrary: object('Gateway', gateway, odd(['gw'], ['Bad_Name'])) },
  );
}


/** `count` objects, about 80% VirtualServices, the same for the same seed. */
export function generatedObjects(seed: number, count: number): Raw[] {
  // A quarter with no odd value at all, half with odd values now and then, and a quarter of
  // single-feature rules whose values are often odd.
  const object = fc.oneof(objectArbitrary(0), objectArbitrary(1), objectArbitrary(2), objectArbitrary(20));
  return fc.sample(object, { seed, numRuns: count }).map((o, i) => {
    const meta = o.metadata as Raw;
    return { ...o, metadata: { ...meta, name: `${String(meta.name)}-${i}` } };
  });
}

/** Characters that mean something to regexes, durations, hosts and header syntax, and a few that do not. */
const SYNTAX = [...'ab1079.()[]{}*+?|^$\\-,:=!<>_%"/ @~#PpiszZCQEdwxNkmhuµ'];
const fuzzString = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...SYNTAX), maxLength });

/**
 * `count` objects that each carry one short random string where Istio parses a syntax: a regex,
 * a duration, a host, a header name or value, a label, a retry condition, a subset name. These
 * find the corners where Mast's reading of a syntax and Istio's part.
 */
export function fuzzedObjects(seed: number, count: number): Raw[] {
  const vs = (rule: Raw, hosts = ['reviews']): Raw => ({ kind: 'VirtualService', spec: { hosts, http: [{ route: [{ destination: { host: 'reviews' } }], ...rule }] } });
  const s = fuzzString(8);
  const placed = fc.oneof(
    { weight: 4, arbitrary: fuzzString(10).map((regex) => vs({ match: [{ uri: { regex } }] })) },
    { weight: 1, arbitrary: s.map((regex) => vs({ rewrite: { uriRegexRewrite: { match: regex, rewrite: '/' } } })) },
    { weight: 2, arbitrary: s.map((timeout) => vs({ timeout })) },
    { weight: 2, arbitrary: s.map((host) => vs({}, [host])) },
    { weight: 1, arbitrary: s.map((host) => ({ kind: 'DestinationRule', spec: { host } })) },
    { weight: 1, arbitrary: s.map((name) => vs({ match: [{ headers: { [name]: { exact: 'a' } } }] })) },
    { weight: 2, arbitrary: s.map((value) => vs({ headers: { request: { set: { 'x-a': value } } } })) },
    { weight: 1, arbitrary: s.map((key) => ({ kind: 'DestinationRule', spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { [key]: 'a' } }] } })) },
    { weight: 1, arbitrary: s.map((value) => ({ kind: 'DestinationRule', spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { app: value } }] } })) },
    { weight: 1, arbitrary: s.map((name) => ({ kind: 'DestinationRule', spec: { host: 'reviews', subsets: [{ name }] } })) },
    { weight: 1, arbitrary: s.map((retryOn) => vs({ retries: { attempts: 2, retryOn } })) },
    { weight: 1, arbitrary: s.map((host) => ({ kind: 'Gateway', spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [host] }] } })) },
  );
  return fc.sample(placed, { seed, numRuns: count }).map((o, i) => ({ apiVersion: 'networking.istio.io/v1', ...o, metadata: { name: `fuzz-${i}`, namespace: 'default' } }));
}

const RETYPE_BASES: Raw[] = [
  {
    kind: 'VirtualService',
    spec: {
      hosts: ['reviews'],
      gateways: ['mesh'],
      http: [
        {
          name: 'r',
          match: [{ uri: { prefix: '/a' }, headers: { a: { exact: 'b' } }, port: 80, ignoreUriCase: true }],
          route: [
            { destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } }, weight: 50 },
            { destination: { host: 'ratings' }, weight: 50 },
          ],
          timeout: '1s',
          retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx' },
          fault: { abort: { httpStatus: 503, percentage: { value: 10 } } },
          mirror: { host: 'ratings' },
          mirrorPercentage: { value: 5 },
          corsPolicy: { allowOrigins: [{ exact: 'a' }], allowCredentials: true, maxAge: '10s' },
        },
      ],
    },
  },
  {
    kind: 'DestinationRule',
    spec: {
      host: 'reviews',
      subsets: [{ name: 'v1', labels: { version: 'v1' } }],
      trafficPolicy: {
        loadBalancer: { simple: 'ROUND_ROBIN' },
        connectionPool: { tcp: { maxConnections: 10, connectTimeout: '1s' }, http: { http1MaxPendingRequests: 5, maxRetries: 2 } },
        outlierDetection: { consecutive5xxErrors: 5, interval: '10s', maxEjectionPercent: 50 },
      },
    },
  },
  { kind: 'Gateway', spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } },
];

function valuePaths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return [at, ...v.flatMap((x, i) => valuePaths(x, [...at, i]))];
  if (typeof v === 'object' && v !== null) return [at, ...Object.entries(v).flatMap(([k, x]) => valuePaths(x, [...at, k]))];
  return [at];
}

/**
 * `count` valid objects with one value anywhere in the spec replaced by a value of another JSON
 * type (a number as a string, a fraction, a boolean, null, a list, an object, a number out of
 * int32 or uint32 range): where Istio's decoder and Istio's schema read JSON types differently.
 */
export function retypedObjects(seed: number, count: number): Raw[] {
  const value = fc.constantFrom<unknown>('50', '1.5', 'true', 1.5, -1, 0, true, null, [], {}, 'x', 4294967296, '5s', 1e21, '-1', 2147483648);
  return fc.sample(fc.tuple(fc.constantFrom(...RETYPE_BASES), fc.nat(), value), { seed, numRuns: count }).map(([base, n, v], i) => {
    const object = structuredClone(base);
    const paths = valuePaths(object.spec).filter((p) => p.length > 0);
    const path = paths[n % paths.length] as (string | number)[];
    let parent = object.spec as Record<string | number, unknown>;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
    parent[path[path.length - 1] as string | number] = v;
    return { apiVersion: 'networking.istio.io/v1', ...object, metadata: { name: `retyped-${i}`, namespace: 'default' } };
  });
}
