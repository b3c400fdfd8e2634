// A proxy's config in pieces, each a function of only the proxy facets it reads. Pods of one
// deployment differ in their IPs alone, which only the inbound piece reads, and only in some
// meshes (ipsRead), so they share every piece and usually their whole view: the xDS layer builds
// and encodes each piece once per distinct key, and composes each view once, not once per pod.
import { labelsMatch } from '../model/labels';
import type { Diagnostic, Snapshot } from '../model/types';
import type { ProxyClass, ProxyRole, ResourceSet } from './types';
import { blackHoleCluster, inboundCluster, inboundPassthroughCluster, outboundClusterResources, passthroughCluster } from './clusters';
import { loadAssignments, proxyPosition } from './endpoints';
import { outboundClusters, type OutboundCluster } from './service-ports';
import { usesEds } from './service-entry-clusters';
import { localityReads, localityString } from './traffic-policy/locality';
import { selectingRules } from './traffic-policy/workload-rules';
import { gatewayPorts } from './gateway-servers';
import { inboundPorts, inboundPortsReadIps } from './inbound-ports';
import { gatewayListener } from './listeners/gateway';
import { virtualInbound } from './listeners/inbound';
import { workloadMtls } from '../policy/mtls/peer-authentication';
import { outboundListeners } from './listeners/outbound';
import { gatewayRouteConfigs } from './routes/gateway';
import { outboundRouteConfigs } from './routes/outbound';
import type { FilterContext } from './filters/http-filter';
import { requestAuthenticationClusters } from '../policy/request-authentication';
import { scopedPart } from './sidecar-scope-snapshot';
import { sidecarIngressPorts, sidecarIngressReadsIps } from './sidecar-ingress';
import { withEnvoyFilters } from './envoy-filter';
import { extensionConfigsPart } from './envoy-filter/extension-configs';
import { withTelemetry } from './telemetry/listeners';
import { sniDnatResources } from './sni-dnat';

export interface TranslationPart {
  name: string;
  /** Equal keys, equal output (for one snapshot): the part reads no other facet of the proxy. */
  key(proxy: ProxyClass, snapshot: Snapshot): string;
  build(snapshot: Snapshot, proxy: ProxyClass): PartOutput;
  /**
   * The part as members built apart (one per service), whose outputs joined in order are what
   * `build` makes; undefined to build it whole. What this reads decides the list and what each
   * member closes over; what a member's build reads decides that member alone, so the view cache
   * rebuilds only the members whose reads changed (one service's, for an endpoint change).
   */
  members?(snapshot: Snapshot, proxy: ProxyClass): readonly PartMember[] | undefined;
}

/** One member of a part built per service: its name within the part, and its build. */
export interface PartMember {
  key: string;
  build(snapshot: Snapshot): PartOutput;
}

/** What a part builds: resources, and findings of its own (the EnvoyFilter patch stage's). */
export type PartOutput = Partial<ResourceSet> & { findings?: readonly Diagnostic[] };

const OUTPUT_FIELDS: readonly (keyof ResourceSet)[] = ['clusters', 'endpoints', 'listeners', 'routes', 'extensionConfigs'];

/** The members' outputs one after the other, as the part's own build makes them. */
export function joinOutputs(outputs: readonly PartOutput[]): PartOutput {
  const out: PartOutput = {};
  for (const field of OUTPUT_FIELDS) {
    const all = outputs.flatMap((o) => o[field] ?? []);
    if (outputs.some((o) => o[field] !== undefined)) out[field] = all;
  }
  const findings = outputs.flatMap((o) => o.findings ?? []);
  return findings.length > 0 ? { ...out, findings } : out;
}

/**
 * A part made per service from the proxy's outbound clusters (`clustersOf`, by host then port):
 * `output` builds one service's share from its clusters, and the part's build is every share in
 * order, so building by members or whole gives the same output.
 */
function perService(
  name: string,
  key: TranslationPart['key'],
  clustersOf: (snapshot: Snapshot, proxy: ProxyClass) => OutboundCluster[],
  output: (snapshot: Snapshot, proxy: ProxyClass, clusters: readonly OutboundCluster[]) => PartOutput,
): TranslationPart {
  const members = (snapshot: Snapshot, proxy: ProxyClass): PartMember[] => {
    const byHost = new Map<string, OutboundCluster[]>();
    for (const c of clustersOf(snapshot, proxy)) {
      const list = byHost.get(c.service.hostname);
      if (list) list.push(c);
      else byHost.set(c.service.hostname, [c]);
    }
    return [...byHost].map(([host, clusters]) => ({ key: host, build: (s: Snapshot) => output(s, proxy, clusters) }));
  };
  return { name, key, members, build: (snapshot, proxy) => joinOutputs(members(snapshot, proxy).map((m) => m.build(snapshot))) };
}

function facets(...names: (keyof ProxyClass)[]): (proxy: ProxyClass) => string {
  return (proxy) => JSON.stringify(names.map((n) => (n === 'labels' ? Object.entries(proxy.labels).sort() : proxy[n])));
}

const INBOUND_FACETS = facets('namespace', 'labels', 'interceptionMode', 'localAddress');
const GATEWAY_FACETS = facets('namespace', 'labels', 'interceptionMode');

/**
 * The proxy's IPs where its inbound side reads them, else none, so that the pods of one
 * deployment share that piece too, and with it their whole view (xds/cache.ts): without capture
 * the listener binds them (listeners/inbound.ts); a Service's named `targetPort` is looked up in
 * the Pod with the IP (inbound-ports.ts); a Sidecar ingress `defaultEndpoint` on a wildcard host
 * sends to it (sidecar-ingress.ts).
 */
function ipsRead(proxy: ProxyClass, snapshot: Snapshot): readonly string[] {
  const reads = proxy.interceptionMode !== 'REDIRECT' || inboundPortsReadIps(snapshot, proxy) || sidecarIngressReadsIps(snapshot, proxy);
  return reads ? proxy.ips : [];
}

/**
 * What the security filters of a proxy's inbound side or gateway read (src/policy/): the mesh and
 * the proxy's workload, by namespace and labels, which the inbound and gateway keys hold.
 */
function securityContext(snapshot: Snapshot, proxy: ProxyClass): FilterContext {
  return { snapshot, workload: { namespace: proxy.namespace, labels: proxy.labels }, role: proxy.role };
}

/**
 * The VirtualService `sourceLabels` selectors the proxy satisfies, named by content, not position,
 * so a key means the same output in every generation (the last good piece of a key must be that key's).
 */
function matchedSelectors(proxy: ProxyClass, snapshot: Snapshot): string[] {
  return snapshot.sourceLabelSelectors().filter((selector) => labelsMatch(selector, proxy.labels)).map((selector) => JSON.stringify(Object.entries(selector).sort())).sort();
}

// DestinationRule workloadSelectors make clusters, endpoints and routes read the proxy's labels
// too, through the rules that select it (traffic-policy/workload-rules.ts).
// Both are made per service: an endpoint change reads one Service's EndpointSlices, and with them
// one service's clusters (their SANs) and ClusterLoadAssignments are built again, not every one.
const services: TranslationPart = perService(
  'services',
  // The role too: a DestinationRule's credentialName is honoured on gateways (clusters.ts); and
  // with the interception mode, whether a NONE-resolution ServiceEntry passes connections through.
  (proxy, snapshot) => JSON.stringify([proxy.namespace, proxy.role, proxy.interceptionMode, selectingRules(snapshot, proxy)]),
  (snapshot, proxy) => outboundClusters(snapshot, proxy.namespace, proxy.labels),
  (snapshot, proxy, clusters) => ({ clusters: outboundClusterResources(snapshot, clusters, proxy.role, proxy.role === 'sidecar' && proxy.interceptionMode === 'REDIRECT') }),
);

/**
 * Endpoints read the proxy's locality (and the labels failoverPriority names) only when some
 * DestinationRule ranks or weighs localities; otherwise a namespace shares one build, and with
 * it proxies in one locality do.
 */
const endpoints: TranslationPart = perService(
  'endpoints',
  (proxy, snapshot) => {
    const reads = localityReads(snapshot);
    const rules = selectingRules(snapshot, proxy);
    if (!reads.locality) return JSON.stringify([proxy.namespace, rules]);
    const position = proxyPosition(proxy);
    // applyFailoverPriorities leaves a proxy without labels alone, so that is part of the key too.
    const labels = reads.labels.length > 0 ? [Object.keys(position.labels).length > 0, ...reads.labels.map((l) => position.labels[l] ?? '')] : [];
    return JSON.stringify([proxy.namespace, rules, localityString(position.locality), labels]);
  },
  (snapshot, proxy) => outboundClusters(snapshot, proxy.namespace, proxy.labels).filter(usesEds),
  (snapshot, proxy, clusters) => ({ endpoints: loadAssignments(snapshot, clusters, proxy) }),
);

// A Sidecar resource narrows what a sidecar's outbound parts are built from (sidecar-scope.ts).
const SIDECAR: TranslationPart[] = [
  scopedPart(services, 'clusters'),
  scopedPart(endpoints, 'clusters'),
  {
    name: 'fixed-clusters',
    key: () => '',
    build: () => ({ clusters: [passthroughCluster(), blackHoleCluster(), inboundPassthroughCluster()] }),
  },
  scopedPart({
    name: 'outbound-routes',
    // Labels matter to routes only through VirtualService `sourceLabels`: pods of different
    // deployments that satisfy the same selectors (usually none) share their routes.
    // The selectors are named by content, not position, so a key means the same routes in every
    // generation (the last good piece of a key must be that key's).
    key: (proxy, snapshot) => JSON.stringify([proxy.namespace, proxy.interceptionMode, matchedSelectors(proxy, snapshot), selectingRules(snapshot, proxy)]),
    build: (snapshot, proxy) => ({ routes: outboundRouteConfigs(snapshot, proxy) }),
  }, 'listeners'),
  // Telemetry (access logs) on every listener part, by the side of the proxy it serves.
  withTelemetry(scopedPart({
    name: 'outbound-listeners',
    // VirtualService `tcp` and `tls` rules read the namespace (exportTo, sourceNamespace) and the
    // labels through `sourceLabels`, as routes do, and through the DestinationRules whose `tunnel`
    // their tcp_proxy carries.
    key: (proxy, snapshot) => JSON.stringify([proxy.interceptionMode, proxy.outboundAddress, proxy.namespace, matchedSelectors(proxy, snapshot), selectingRules(snapshot, proxy)]),
    build: (snapshot, proxy) => ({ listeners: outboundListeners(snapshot, proxy) }),
  }, 'listeners'), 'CLIENT'),
  withTelemetry({
    name: 'inbound',
    key: (proxy, snapshot) => JSON.stringify([INBOUND_FACETS(proxy), ipsRead(proxy, snapshot)]),
    build: (snapshot, proxy) => {
      const ports = sidecarIngressPorts(snapshot, proxy) ?? inboundPorts(snapshot, proxy);
      const context = securityContext(snapshot, proxy);
      return {
        clusters: [...ports.map((p) => inboundCluster(p.targetPort, p.protocol, proxy.localAddress, p.sources, p.endpoint)), ...requestAuthenticationClusters(context)],
        listeners: [virtualInbound(ports, proxy, workloadMtls(snapshot, proxy.namespace, proxy.labels), context)],
      };
    },
  }, 'SERVER'),
  extensionConfigsPart,
];

const GATEWAY: TranslationPart[] = [
  services,
  endpoints,
  {
    // AUTO_PASSTHROUGH servers' clusters: they read the Gateways selecting the proxy, and what
    // the endpoints part reads (the locality, where a rule weighs localities).
    name: 'sni-dnat',
    key: (proxy, snapshot) => JSON.stringify([facets('labels')(proxy), endpoints.key(proxy, snapshot)]),
    build: (snapshot, proxy) => sniDnatResources(snapshot, proxy),
  },
  withTelemetry({
    name: 'gateway',
    // Under capture the gateway's listeners bind 0.0.0.0, not its IPs (listeners/gateway.ts).
    key: (proxy) => JSON.stringify([GATEWAY_FACETS(proxy), proxy.interceptionMode === 'REDIRECT' ? [] : proxy.ips]),
    build: (snapshot, proxy) => {
      const ports = gatewayPorts(snapshot, proxy.labels);
      const context = securityContext(snapshot, proxy);
      return {
        clusters: requestAuthenticationClusters(context),
        listeners: ports.flatMap((gp) => gatewayListener(gp, proxy, context) ?? []),
        routes: ports.flatMap((gp) => gatewayRouteConfigs(snapshot, gp, proxy)),
      };
    },
  }, 'CLIENT'),
  extensionConfigsPart,
];

// EnvoyFilters patch what each part builds (envoy-filter/index.ts).
const PATCHED_SIDECAR = SIDECAR.map((part) => withEnvoyFilters(part, 'sidecar'));
const PATCHED_GATEWAY = GATEWAY.map((part) => withEnvoyFilters(part, 'router'));

export function partsFor(role: ProxyRole): readonly TranslationPart[] {
  return role === 'router' ? PATCHED_GATEWAY : PATCHED_SIDECAR;
}
