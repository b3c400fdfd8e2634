// The hostile inputs of issue 6, written into a running bookinfo mesh's config dir by
// e2e/scenarios/hostile-input.test.ts. Generated rather than committed: several are megabytes, and
// each is clearer as the few lines that make it.

/** A Service on 9080 selecting the ratings pod: its cluster shows on every Envoy once Mast reads it. */
export function service(name: string): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080, targetPort: 9080}]
`;
}

/** The live ratings VirtualService made to abort 250% of requests with status 999. */
export const FAULT_ABORT = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - fault: {abort: {percentage: {value: 250}, httpStatus: 999}}
    route: [{destination: {host: ratings, subset: v1}}]
`;

/** The live reviews VirtualService split -50/150. */
export const NEGATIVE_WEIGHT = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: -50}
    - {destination: {host: reviews, subset: v2}, weight: 150}
`;

/** Another EndpointSlice of reviews, whose one address is not an IPv4 address. */
export const BAD_ADDRESS_SLICE = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-bad, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: http, port: 9080, protocol: TCP}]
endpoints:
- {addresses: [300.300.300.300], conditions: {ready: true}}
`;

/** A Gateway server on 15000, where the gateway Envoy's own admin interface listens. */
export const ADMIN_PORT_GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: admin-port, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 15000, name: http-admin, protocol: HTTP}
    hosts: ["*"]
`;

/**
 * A gateway VirtualService for `host` whose `routes` rules (`/r0` ... ) all reuse one anchored retry
 * policy, as a user writes it to stay DRY: more aliases than the `yaml` package allows by default
 * (100), and valid for Istio. Each rule sets `x-route` on its answers, so a test can see which served.
 */
export function anchoredRetries(host: string, routes: number): string {
  const rule = (i: number): string => `  - match: [{uri: {exact: /r${i}}}]
    retries: ${i === 0 ? '&retry {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,connect-failure"}' : '*retry'}
    headers: {response: {set: {x-route: r${i}}}}
    route: [{destination: {host: productpage, port: {number: 9080}}}]
`;
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: anchored-retries, namespace: default}
spec:
  hosts: [${host}]
  gateways: [bookinfo-gateway]
  http:
${Array.from({ length: routes }, (_, i) => rule(i)).join('')}`;
}

/** Billion laughs: nine levels of ten aliases each, 10^9 strings once expanded, 500 bytes written. */
export function aliasBomb(): string {
  const levels = 'abcdefghi';
  const lines = ['apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata: {name: laughs, namespace: default}', 'spec:', '  hosts: [laughs]'];
  lines.push(`  a: &a [${Array(10).fill('"lol"').join(',')}]`);
  for (let i = 1; i < levels.length; i++) lines.push(`  ${levels[i]}: &${levels[i]} [${Array(10).fill(`*${levels[i - 1]}`).join(',')}]`);
  return `${lines.join('\n')}\n`;
}

/** A VirtualService whose hosts open `bytes` worth of nested flow sequences. */
export function deepNesting(bytes: number): string {
  const head = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: deep, namespace: default}\nspec:\n  hosts: ';
  return `${head}${'['.repeat(bytes - head.length - 1)}\n`;
}

/** A valid Service padded with comment lines to `bytes`. */
export function oversized(name: string, bytes: number): string {
  const head = service(name);
  const line = `#${'x'.repeat(1023)}\n`;
  return head + line.repeat(Math.ceil((bytes - head.length) / line.length));
}

/** `text` as UTF-16LE, with or without the byte-order mark. */
export function utf16(text: string, bom: boolean): Buffer {
  const body = Buffer.from(text, 'utf16le');
  return bom ? Buffer.concat([Buffer.from([0xff, 0xfe]), body]) : body;
}

/** `count` documents of a kind nobody defines. */
export function unknownDocuments(count: number): string {
  return Array.from({ length: count }, (_, i) => `apiVersion: example.com/v1\nkind: Frobnicator\nmetadata: {name: f-${i}, namespace: default}\n`).join('---\n');
}

/** The reviews VirtualService sending everything to v3: a copy of the live reviews with other content. */
export const REVIEWS_V3_COPY = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v3}}]
`;

/**
 * The valid change made while each hostile input is present: details as bookinfo's all-v1 task
 * routes it (in every sidecar's 9080 route table), also bound to the gateway for `gatewayHost`,
 * every answer marked `x-mark: MARK` so each Envoy's config shows whether the change reached it.
 */
export function markedDetails(mark: number, gatewayHost: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: details, namespace: default}
spec:
  hosts: [details, ${gatewayHost}]
  gateways: [mesh, bookinfo-gateway]
  http:
  - headers: {response: {set: {x-mark: "${mark}"}}}
    route: [{destination: {host: details, subset: v1, port: {number: 9080}}}]
`;
}
