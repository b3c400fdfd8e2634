// Generated VirtualServices, DestinationRules and Gateways aimed at what Envoy refuses, over the
// base mesh (mesh.ts): routes name its services, subsets and ports, so what Mast accepts turns
// into real routes, clusters and listeners. Values are mostly usual, with odd ones mixed in where
// Envoy draws its lines: string matches that are empty or carry spaces, `%`, `*` or non-ASCII;
// RE2 syntax errors and big counted repetitions; relative, zero and negative weights; status
// codes, percentages and durations out of range; header operations on `:authority` and `host`
// and values with `%`; large direct response bodies; Gateway servers on the ports the proxy keeps
// for itself. test/conformance/generate.ts draws objects at Istio's validation lines instead;
// its objects are mixed in too, so what it learns to make is also put to Envoy.
import fc from 'fast-check';
import { choices } from '../conformance/choices';
import { generatedObjects } from '../conformance/generate';
import type { Raw } from '../model/fixtures';
import { NAMESPACES, SERVICE_HOSTS } from './mesh';
import { picker } from './pick';
import { policyArbitraries } from './policy-arbitraries';

const namespace = fc.constantFrom(...NAMESPACES);

/** Objects of Istio's differential test (a fixed sample: they are made for Istio's validation lines, not for this mesh). */
const CONFORMANCE_OBJECTS = generatedObjects(20261201, 400);

export type Generated = { kind: 'VirtualService' | 'DestinationRule' | 'Gateway'; namespace: string; spec: Raw } | { kind: 'istio-conformance'; object: Raw };

/**
 * One generated object, where `unusual` weighs odd values against usual ones at each field (0:
 * none at all, 1: one field in 40, 10: one in 5), so that objects range from valid by
 * construction to mostly refused.
 */
function objectArbitrary(unusual: number): fc.Arbitrary<Generated> {
  const c = choices(unusual);
  const { odd, either, rarely, some } = c;
  const pick = picker(c);

  // Istio takes any of these in an exact or prefix match (an empty authority prefix aside).
  const text = pick(['/', '/api', '/api/v1/', 'GET', 'POST', 'jason', 'https', 'shop.example.com', 'v1'], ['', ' ', 'a b', '%', '100%', '%%', '%HOSTNAME%', 'ünïcödé', '日本', '🙂', '*', '\\', '"q"', 'x\ty', 'a,b', ':', 'x'.repeat(300)]);

  const regex = pick(
    ['.*', '^/api/v[0-9]+/.*', '(?i)/Reviews', '[[:alpha:]]+', '\\pL+', '/(a|b)c?', '^/ü+$', '\\d{3}-\\d{4}', '[^/]+'],
    ['a{1000}', '(a{30}){30}', '.{0,1000}', '(?:[a-z]{1,100}){1,10}', '(((((((((((a)))))))))))'.repeat(20)],
    // Istio refuses most of these; it takes the last one, whose RE2 program is over Envoy's limit.
    ['', '(', '[', '*', 'a**', 'a{1001}', '(a{100}){11}', '(a)\\1', '(?=x)', '\\C', '\\8', '(?P<n>a)(?P<n>b)', 'x{2}{3}', '[z-a]', '(\\pL{1,1000}){1,1000}', '.{1000}'.repeat(5)],
  );

  const someMatch: fc.Arbitrary<Raw> = fc.oneof(text.map((exact) => ({ exact })), text.map((prefix) => ({ prefix })), regex.map((r) => ({ regex: r })));
  const stringMatch = fc.oneof({ weight: 9, arbitrary: someMatch }, { weight: 1, arbitrary: fc.constant<Raw>({}) });

  const headerName = pick(['x-user', 'end-user', 'X-Mixed-Case', 'cookie', 'user-agent'], [':method', ':path', ':authority', 'host', 'Host', ':status', 'x%y'], ['', 'bad name', 'ü', '@request.auth.claims.sub']);
  // Istio takes `%BOGUS%` (it checks `%` syntax only); Envoy knows no such command.
  const headerValue = pick(['v', 'a b', 'ünï', '%%', '%HOSTNAME%', '%REQ(x-user)%', '%DOWNSTREAM_REMOTE_ADDRESS%'], ['', 'x'.repeat(9000), '%START_TIME(%s)%', '\t', '100%%'], ['100%', '%', '%BOGUS%', '%REQ(x%']);
  const headerOps = (name: fc.Arbitrary<string>, removable: fc.Arbitrary<string>) =>
    some({ set: fc.dictionary(name, headerValue, { maxKeys: 2 }), add: fc.dictionary(name, headerValue, { maxKeys: 2 }), remove: fc.array(removable, { maxLength: 2 }) });
  // A request may set `:authority` and `host` (Istio rewrites the authority); nothing else may touch them.
  const otherName = pick(['x-added', 'X-Upper', 'x-b'], ['x-envoy-foo', 'bad name', 'ü'], [':authority', 'host', 'Host', ':path', ':method', '']);
  const requestSetName = pick(['x-added', 'X-Upper', 'x-b'], ['x-envoy-foo', ':authority', 'host', 'Host', 'bad name', 'ü'], [':path', ':method', '']);
  const headers = some({ request: headerOps(requestSetName, otherName), response: headerOps(otherName, otherName) });

  const duration = pick(['1s', '0.5s', '250ms', '10s', '1m', '1h'], ['1ms', '100000h'], ['0s', '0.0005s', '1.5ms', '-1s', '10', 'abc', '315576000000s', '1e3s']);
  const percentage = pick([0, 0.1, 1, 50, 99.9999, 100], [0.0001], [-1, 100.5, 250, 1e-7, Number.MAX_SAFE_INTEGER]).map((value) => ({ value }));
  const port = pick([9080, 80, 8080], [1, 5432, 65535], [0, 65536, 70000, -1]);

  const destinationHost = pick([...SERVICE_HOSTS, 'httpbin.org'], ['*.example.com', 'REVIEWS'], ['*', '', 'bad host', 'ü.example.com', 'x'.repeat(300)]);
  // A subset no DestinationRule defines fails its route alone (MAST3001).
  const subset = pick(['v1', 'v2'], ['v3', 'nope', 'V1'], ['', 'v_1']);
  const destination = fc
    .record({ host: destinationHost, subset: rarely(subset), port: rarely(port.map((number) => ({ number }))) })
    .map(({ host, subset: s, port: p }) => ({ host, ...(s === undefined ? {} : { subset: s }), ...(p ? { port: p } : {}) }));
  const weight = pick([1, 10, 25, 50, 75, 100], [0, 150], [-50, 2 ** 31, 2 ** 32]);
  const routeDestination = fc.record({ destination, weight, headers }, { requiredKeys: ['destination'] });

  const matchRequest = some({
    name: fc.constantFrom('m', 'match-1', ''),
    uri: stringMatch,
    scheme: stringMatch,
    method: stringMatch,
    authority: stringMatch,
    headers: fc.dictionary(headerName, stringMatch, { maxKeys: 2 }),
    withoutHeaders: fc.dictionary(headerName, stringMatch, { maxKeys: 2 }),
    queryParams: fc.dictionary(pick(['q', 'id', 'Debug'], ['', 'a b', '%', 'ü']), stringMatch, { maxKeys: 2 }),
    port,
    ignoreUriCase: fc.boolean(),
    sourceLabels: odd<Record<string, string>>([{ app: 'productpage' }, { app: 'ratings', version: 'v1' }], [{}, { 'bad key!': 'x' }]),
    sourceNamespace: odd(['default', 'prod'], ['', 'Bad_NS']),
    gateways: odd([['mesh'], ['istio-system/base-gw']], [['nope']]),
  });

  const retries = either<Raw>(
    fc.record(
      {
        attempts: odd([1, 2, 3], [0, -1, 1000, 2 ** 32]),
        perTryTimeout: duration,
        retryOn: pick(['5xx', 'gateway-error,connect-failure,refused-stream', '503', 'retriable-4xx,409', 'cancelled,unavailable', 'reset'], ['', 'retriable-status-codes'], ['bogus', '5xx,,', ' 5xx', '99']),
        retryRemoteLocalities: fc.boolean(),
      },
      { requiredKeys: ['attempts'] },
    ),
    // retry settings with no attempts
    some({ perTryTimeout: duration, retryOn: fc.constantFrom('5xx', 'connect-failure') }),
  );

  const fault = some({
    delay: some({ percentage, fixedDelay: duration }),
    abort: fc.tuple(some({ percentage }), fc.oneof(
      pick([400, 418, 500, 503], [200, 599], [0, 100, 199, 600, 601, 999, -1]).map((httpStatus) => ({ httpStatus })),
      odd(['UNAVAILABLE', 'NOT_FOUND'], ['unavailable', 'BOGUS', '']).map((grpcStatus) => ({ grpcStatus })),
    )).map(([a, b]) => ({ ...a, ...b })),
  });

  const cors = some({
    allowOrigins: fc.array(either(someMatch, stringMatch), { maxLength: 2 }),
    allowMethods: fc.array(odd(['GET', 'POST', 'PUT', '*'], ['get', 'BOGUS', '', 'a b']), { maxLength: 2 }),
    allowHeaders: fc.array(odd(['x-a', 'content-type', '*'], ['', 'bad header', 'ü']), { maxLength: 2 }),
    exposeHeaders: fc.array(odd(['x-b'], ['', 'bad header']), { maxLength: 2 }),
    maxAge: odd(['1s', '10s', '24h'], ['0s', '0.5s', '-1s', '1.5ms']),
    allowCredentials: fc.boolean(),
  });

  const redirect = fc.tuple(
    some({
      uri: pick(['/new', '/a/b'], ['/a b', '/%', '/ü', 'no-slash'], ['']),
      authority: pick(['example.com', 'reviews:9080'], ['a b', 'ü.example.com'], ['']),
      scheme: pick(['https', 'http'], [''], ['ftp', 'HTTP']),
      redirectCode: pick([301, 302, 307, 308], [0, 399], [200, 999]),
    }),
    // port and derivePort are one oneof
    fc.oneof(
      fc.constant({}),
      pick([8080, 443], [1, 65535], [0, 65536, 70000]).map((port) => ({ port })),
      odd(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT'], ['BOGUS']).map((derivePort) => ({ derivePort })),
    ),
  ).map(([r, p]) => ({ ...r, ...p }));
  const authority = pick(['example.com', 'reviews.default.svc.cluster.local'], ['a b', 'ü', 'x:80:80'], ['']);
  // uri and uriRegexRewrite exclude each other
  const rewrite = fc.oneof(
    some({ uri: pick(['/', '/v2', '/api/'], ['/a b', '/%', '/ü', 'no-slash'], ['']), authority }),
    fc.record({ uriRegexRewrite: fc.record({ match: regex, rewrite: odd(['/\\1', '/v2/'], ['', '\\9', '%']) }), authority }, { requiredKeys: ['uriRegexRewrite'] }),
  );
  const body = fc.oneof(
    pick(['hello', '{"ok":true}', ''], ['x'.repeat(4096), 'x'.repeat(4097), 'ü'.repeat(2100), 'x'.repeat(100_000), '%HOSTNAME%']).map((string) => ({ string })),
    odd(['aGVsbG8=', ''], ['!!not base64']).map((bytes) => ({ bytes })),
  );
  const directResponse = fc.record({ status: pick([200, 204, 404, 503], [599], [0, 100, 199, 600, 601, 1000]), body }, { requiredKeys: ['status'] });

  const withoutRewrite = ({ rewrite: _, ...rule }: Raw): Raw => rule;
  const withoutFault = ({ fault: _, ...rule }: Raw): Raw => rule;
  const httpRoute = fc
    .record(
      {
        name: pick(['r1', 'default-route'], ['', 'a b', 'ü']),
        match: fc.array(matchRequest, { maxLength: 2 }),
        timeout: duration,
        retries,
        fault,
        corsPolicy: cors,
        headers,
        mirror: destination,
        mirrors: fc.array(fc.record({ destination, percentage }, { requiredKeys: ['destination'] }), { maxLength: 2 }),
        mirrorPercentage: percentage,
        rewrite,
      },
      { requiredKeys: [] },
    )
    // A few features per rule, so that most objects carry at most one odd value and many pass.
    .chain((rule) => fc.subarray(Object.keys(rule), { maxLength: Math.min(3, Object.keys(rule).length) }).map((keys) => Object.fromEntries(keys.map((k) => [k, (rule as Raw)[k]]))))
    .chain((rule) =>
      fc.oneof(
        { weight: 8, arbitrary: fc.array(routeDestination, { minLength: 1, maxLength: 3 }).map((route) => ({ ...rule, route })) },
        // Istio refuses a rewrite beside a redirect or a direct response, and a fault beside a redirect.
        { weight: 1, arbitrary: redirect.map((r) => ({ ...withoutFault(withoutRewrite(rule)), redirect: r })) },
        { weight: 1, arbitrary: directResponse.map((d) => ({ ...withoutRewrite(rule), directResponse: d })) },
      ),
    );

  /** What a VirtualService names as hosts: the mesh's services, short and long, and names only gateways serve. */
  const vsHost = pick(
    [...SERVICE_HOSTS, '*.prod.svc.cluster.local', 'shop.example.com', '*.example.com'],
    ['Shop.Example.COM', 'REVIEWS.default.svc.cluster.local', '*.svc.cluster.local', '10.96.0.10', 'shop.example.com.'],
    ['*', 'ü.example.com', 'bad host', '', '*.*.example.com'],
  );
  /** Gateways generated in a batch are `gw-0`, `gw-1`, ... in the namespaces of NAMESPACES. */
  const gatewayRef = fc.constantFrom('mesh', 'istio-system/base-gw', 'gw-0', 'gw-1', 'istio-system/gw-0', 'default/gw-1', 'prod/gw-2', 'nope');
  const exportTo = odd<string[] | undefined>([undefined, ['*'], ['.']], [['prod'], ['default', 'prod'], ['~'], ['Bad_NS']]);

  const virtualService = fc.record(
    {
      hosts: fc.uniqueArray(vsHost, { minLength: 1, maxLength: 3 }),
      gateways: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.uniqueArray(gatewayRef, { minLength: 1, maxLength: 2 }) }),
      http: fc.array(httpRoute, { minLength: 1, maxLength: 3 }),
      exportTo,
    },
    { requiredKeys: ['hosts', 'http'] },
  );

  const { destinationRule, gateway } = policyArbitraries(c, { duration, port, subset, exportTo });

  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('VirtualService' as const), namespace, spec: virtualService }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('DestinationRule' as const), namespace, spec: destinationRule }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('Gateway' as const), namespace, spec: gateway }) },
    { weight: 2, arbitrary: fc.constantFrom(...CONFORMANCE_OBJECTS).map((object) => ({ kind: 'istio-conformance' as const, object })) },
  );
}

/** Half the objects with no value Istio refuses, a quarter with one now and then, a quarter with them often. */
const generated = fc.oneof({ weight: 2, arbitrary: objectArbitrary(0) }, { weight: 1, arbitrary: objectArbitrary(1) }, { weight: 1, arbitrary: objectArbitrary(10) });

/** A batch of up to `max` objects. */
export function batchArbitrary(max: number): fc.Arbitrary<Generated[]> {
  return fc.array(generated, { minLength: 1, maxLength: max, size: 'max' });
}

/**
 * The batch as raw objects with names of their own: `vs-N`, `dr-N`, and Gateways `gw-0`, `gw-1`,
 * ... (which VirtualServices' `gateways` name), Istio conformance objects `c-N` in `default`.
 */
export function rawObjects(batch: readonly Generated[]): Raw[] {
  let gateways = 0;
  return batch.map((g, i) => {
    if (g.kind === 'istio-conformance') return { ...g.object, metadata: { ...(g.object.metadata as Raw), name: `c-${i}` } };
    const name = g.kind === 'Gateway' ? `gw-${gateways++}` : `${g.kind === 'VirtualService' ? 'vs' : 'dr'}-${i}`;
    return { apiVersion: 'networking.istio.io/v1', kind: g.kind, metadata: { name, namespace: g.namespace }, spec: g.spec };
  });
}
