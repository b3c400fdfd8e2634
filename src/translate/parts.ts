// A proxy's config in pieces, each a function of only the proxy facets it reads. Pods of one
// deployment differ in their IPs alone, so they share every piece but the inbound one, and the
// xDS layer builds and encodes each piece once per distinct key instead of once per pod.
import { labelsMatch } from '../model/labels';
import type { Diagnostic, Snapshot } from '../model/types';
import type { ProxyClass, ProxyRole, ResourceSet } from './types';
import { blackHoleCluster, inboundCluster, inboundPassthroughCluster, passthroughCluster, serviceClusters } from './clusters';
import { proxyPosition, serviceEndpoints } from './endpoints';
import { localityReads, localityString } from './traffic-policy/locality';
import { selectingRules } from './traffic-policy/workload-rules';
import { gatewayPorts } from './gateway-servers';
import { inboundPorts } from './inbound-ports';
import { gatewayListener } from './listeners/gateway';
import { virtualInbound } from './listeners/inbound';
import { workloadMtls } from '../policy/mtls/peer-authentication';
import { outboundListeners } from './listeners/outbound';
import { gatewayRouteConfigs } from './routes/gateway';
import { outboundRouteConfigs } from './routes/outbound';
import type { FilterContext } from './filters/http-filter';
import { requestAuthenticationClusters } from '../policy/request-authentication';
import { scopedPart } from './sidecar-scope-snapshot';
import { sidecarIngressPorts } from './sidecar-ingress';
import { withEnvoyFilters } from './envoy-filter';
import { extensionConfigsPart } from './envoy-filter/extension-configs';
import { withTelemetry } from './telemetry/listeners';
import { sniDnatResources } from './sni-dnat';

export interface TranslationPart {
  name: string;
  /** Equal keys, equal output (for one snapshot): the part reads no other facet of the proxy. */
  key(proxy: ProxyClass, snapshot: Snapshot): string;
  build(snapshot: Snapshot, proxy: ProxyClass): PartOutput;
}

/** What a part builds: resources, and findings of its own (the EnvoyFilter patch stage's). */
export type PartOutput = Partial<ResourceSet> & { findings?: readonly Diagnostic[] };

function facets(...names: (keyof ProxyClass)[]): (proxy: ProxyClass) => string {
  return (proxy) => JSON.stringify(names.map((n) => (n === 'labels' ? Object.entries(proxy.labels).sort() : proxy[n])));
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
const services: TranslationPart = {
  name: 'services',
  // The role too: a DestinationRule's credentialName is honoured on gateways (clusters.ts); and
  // with the interception mode, whether a NONE-resolution ServiceEntry passes connections through.
  key: (proxy, snapshot) => JSON.stringify([proxy.namespace, proxy.role, proxy.interceptionMode, selectingRules(snapshot, proxy)]),
  build: (snapshot, proxy) => ({ clusters: serviceClusters(snapshot, proxy.namespace, proxy.labels, proxy.role, proxy.role === 'sidecar' && proxy.interceptionMode === 'REDIRECT') }),
};

/**
 * Endpoints read the proxy's locality (and the labels failoverPriority names) only when some
 * DestinationRule ranks or weighs localities; otherwise a namespace shares one build, and with
 * it proxies in one locality do.
 */
const endpoints: TranslationPart = {
  name: 'endpoints',
  key: (proxy, snapshot) => {
    const reads = localityReads(snapshot);
    const rules = selectingRules(snapshot, proxy);
    if (!reads.locality) return JSON.stringify([proxy.namespace, rules]);
    const position = proxyPosition(proxy);
    // applyFailoverPriorities leaves a proxy without labels alone, so that is part of the key too.
    const labels = reads.labels.length > 0 ? [Object.keys(position.labels).length > 0, ...reads.labels.map((l) => position.labels[l] ?? '')] : [];
    return JSON.stringify([proxy.namespace, rules, localityString(position.locality), labels]);
  },
  build: (snapshot, proxy) => ({ endpoints: serviceEndpoints(snapshot, proxy) }),
};

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
    key: facets('namespace', 'labels', 'ips', 'interceptionMode', 'localAddress'),
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
    key: facets('namespace', 'labels', 'ips', 'interceptionMode'),
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
