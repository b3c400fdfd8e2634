// Generated DestinationRules and Gateways for the property test (arbitraries.ts makes the
// VirtualServices and the batches): traffic policies with odd load balancer, connection pool and
// outlier detection values, per port and per subset; Gateway servers on usual ports, on the ports
// the gateway proxy keeps for itself (15000-15090), and on impossible ones, with hosts bound to
// namespaces or not.
import fc from 'fast-check';
import type { Choices } from '../conformance/choices';
import type { Raw } from '../model/fixtures';
import { SERVICE_HOSTS } from './mesh';
import { picker } from './pick';

/**
 * Ports an Istio proxy keeps for itself (src/model/proxy-ports.ts lists why; 15000 is the admin
 * port of Mast's bootstrap), and neighbours of theirs that are free.
 */
const PROXY_PORTS = [15000, 15001, 15006, 15021, 15090, 15010, 15443];

/** Values VirtualServices share with these objects, so that both choose them alike. */
export interface SharedValues {
  duration: fc.Arbitrary<string>;
  port: fc.Arbitrary<number>;
  subset: fc.Arbitrary<string>;
  exportTo: fc.Arbitrary<string[] | undefined>;
}

/** DestinationRule and Gateway specs, with odd values as `c` weighs them. */
export function policyArbitraries(c: Choices, { duration, port, subset, exportTo }: SharedValues): { destinationRule: fc.Arbitrary<Raw>; gateway: fc.Arbitrary<Raw> } {
  const { odd, some } = c;
  const pick = picker(c);
  const lbSimple = odd(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'PASSTHROUGH'], ['LEAST_CONN', 'UNSPECIFIED', 'BOGUS']);
  const loadBalancer = fc.oneof(
    lbSimple.map((simple) => ({ simple })),
    fc.oneof(
      fc.constantFrom({ httpHeaderName: 'x-user' }, { useSourceIp: true }, { httpQueryParameterName: 'q' }, { httpHeaderName: '' }),
      fc.record({ httpCookie: fc.record({ name: odd(['session'], ['']), ttl: duration }) }),
      odd([1024, 65537], [0, 1, 2 ** 32]).map((minimumRingSize) => ({ ringHash: { minimumRingSize }, httpHeaderName: 'x-user' })),
      odd([65537, 7], [0, 65536, 5000011]).map((tableSize) => ({ maglev: { tableSize }, useSourceIp: true })),
    ).map((consistentHash) => ({ consistentHash })),
  );
  const count = (usual: number[]) => odd(usual, [0, -1, 2 ** 31, 2 ** 32]);
  const connectionPool = fc.record({
    tcp: some({ maxConnections: count([1, 100]), connectTimeout: duration, maxConnectionDuration: duration, idleTimeout: duration, tcpKeepalive: some({ probes: count([3]), time: duration, interval: duration }) }),
    http: some({
      http1MaxPendingRequests: count([1, 1024]),
      http2MaxRequests: count([100]),
      maxRequestsPerConnection: count([1, 10]),
      maxRetries: count([3]),
      idleTimeout: duration,
      h2UpgradePolicy: odd(['DEFAULT', 'UPGRADE', 'DO_NOT_UPGRADE'], ['BOGUS']),
      useClientProtocol: odd([false], [true]),
      maxConcurrentStreams: count([100]),
    }),
  }, { requiredKeys: ['tcp'] });
  const outlierDetection = some({
    consecutive5xxErrors: count([5, 1]),
    consecutiveGatewayErrors: count([3]),
    // Istio wants local origin failures counted apart when they are given
    localOrigin: odd<Raw>([{ splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2 }, { splitExternalLocalOriginErrors: false }], [{ consecutiveLocalOriginFailures: 2 }]),
    interval: duration,
    baseEjectionTime: duration,
    maxEjectionPercent: odd([10, 100], [0, 101, -1]),
    minHealthPercent: odd([0, 50], [100, 150, -1]),
  }).map(({ localOrigin, ...o }) => ({ ...o, ...(localOrigin ?? {}) }));
  const portTrafficPolicy = fc.record({ port: port.map((number) => ({ number })), loadBalancer, connectionPool, outlierDetection }, { requiredKeys: ['port'] });
  const trafficPolicy = some({ loadBalancer, connectionPool, outlierDetection, portLevelSettings: fc.array(portTrafficPolicy, { maxLength: 2 }) });

  const destinationRule = fc.record(
    {
      host: odd([...SERVICE_HOSTS, '*.prod.svc.cluster.local'], ['*', '*.example.com', 'REVIEWS', '', 'bad host', 'httpbin.org']),
      subsets: fc.uniqueArray(
        fc.record({ name: subset, labels: odd<Record<string, string>>([{ version: 'v1' }, { version: 'v2' }, { version: 'v3' }], [{}, { version: 'a b' }, { 'bad key!': 'x' }]), trafficPolicy }, { requiredKeys: ['name'] }),
        { maxLength: 3, selector: (s) => s.name },
      ),
      trafficPolicy,
      exportTo,
    },
    { requiredKeys: ['host'] },
  );

  const server = fc.record({
    port: fc.record({
      // A server on a port the proxy keeps is left out alone (MAST2102).
      number: pick([80, 8080, 8000], [...PROXY_PORTS, 1, 65535], [0, 70000]),
      name: pick(['http', 'http-alt', 'web'], [], ['', 'a b']),
      // Mast serves HTTP, HTTP2 and GRPC servers; TCP ones it does not translate yet.
      protocol: pick(['HTTP', 'HTTP2', 'GRPC'], ['http', 'Http2', 'TCP'], ['HTTPS', 'TLS', 'BOGUS']),
    }),
    hosts: fc.uniqueArray(
      pick(['*', '*.example.com', 'shop.example.com', 'default/*', './*', 'prod/*.prod.svc.cluster.local', '*/reviews.default.svc.cluster.local'], ['SHOP.example.com', 'istio-system/*', 'Shop.Example.COM'], ['ü.example.com', 'bad host', '*.*', 'prod/', '']),
      { minLength: 1, maxLength: 2 },
    ),
  });
  const gateway = fc.record({
    selector: odd<Record<string, string>>([{ istio: 'ingressgateway' }], [{ app: 'nothing' }, {}]),
    // Port names are unique unless one is odd.
    servers: fc.array(server, { minLength: 1, maxLength: 3 }).map((servers) => servers.map((s, i) => (s.port.name ? { ...s, port: { ...s.port, name: `${s.port.name}-${i}` } } : s))),
  });

  return { destinationRule, gateway };
}
