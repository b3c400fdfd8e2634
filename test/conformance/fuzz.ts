// Objects for the differential test that probe syntax and JSON types rather than structure:
// fuzzed ones carry one random string where Istio parses a syntax, retyped ones one value of the
// wrong JSON type. fast-check with a fixed seed, so every run compares the same objects.
import fc from 'fast-check';
import type { Raw } from './istioctl';

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
