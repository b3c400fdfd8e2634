// Generated VirtualServices, DestinationRules and Gateways for the differential test: mostly
// well-formed objects with odd values mixed in where Istio's validation draws its lines (empty
// and invalid string matches, regexes RE2 and Go disagree on, relative, zero and negative weights,
// unknown retry conditions, out-of-range percentages and statuses, durations under 1ms, header
// names and values, hosts, subsets, TLS settings). fast-check with a fixed seed, so every run
// compares the same objects.
import fc from 'fast-check';
import { choices, pick } from './choices';
import type { Raw } from './istioctl';
import { policyArbitraries } from './generate-policy';

/**
 * The arbitraries of one object, where `unusual` weighs the odd values against the usual ones
 * (0: none at all), so that a share of the objects are valid by construction.
 */
function objectArbitrary(unusual: number) {
  const c = choices(unusual);
  const { odd, either, rarely, some } = c;

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

  const { destinationRule, gateway } = policyArbitraries(c, { host, duration, labels });

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

