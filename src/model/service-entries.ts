// ServiceEntries and WorkloadEntries in the service registry, as Istio's serviceentry controller
// puts them there (pilot/pkg/serviceregistry/serviceentry/conversion.go): each host of a
// ServiceEntry is a service of its own; its endpoints are its `endpoints`, or the Pods and
// WorkloadEntries its workloadSelector picks, or (DNS resolution without either) the host itself.
// A Kubernetes Service's selector picks WorkloadEntries of its namespace too.
import { isExportedTo } from './export-to';
import { labelsMatch } from './labels';
import {
  refOf,
  type ExternalService,
  type Pod,
  type Resolution,
  type ResolvedEndpoint,
  type Service,
  type ServiceEntry,
  type ServicePort,
  type WorkloadEntry,
  type WorkloadEntrySpec,
} from './types';

/** The label Istio's injector sets on workloads that run a sidecar (label.SecurityTlsMode). */
const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

/** A ServiceEntry port `protocol` (HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP, TLS, UDP) as a Kubernetes port. */
function entryPort(p: NonNullable<ServiceEntry['spec']['ports']>[number]): ServicePort {
  const protocol = p.protocol?.toUpperCase();
  return {
    name: p.name,
    port: p.number,
    targetPort: p.targetPort || p.number,
    protocol: protocol === 'UDP' ? 'UDP' : 'TCP',
    ...(protocol && protocol !== 'UDP' ? { appProtocol: protocol.toLowerCase() } : {}),
  };
}

/**
 * One ExternalService per host of `entry` (convertServices). A missing resolution is NONE and a
 * missing location MESH_EXTERNAL, the proto's zero values. DYNAMIC_DNS draws MAST1008 at parse
 * time and is served as NONE (no endpoints known to Mast).
 */
export function externalServices(entry: ServiceEntry): ExternalService[] {
  const spec = entry.spec;
  const resolution: Resolution = spec.resolution === 'DYNAMIC_DNS' || !spec.resolution ? 'NONE' : spec.resolution;
  const ports = (spec.ports ?? []).map(entryPort);
  const selector = spec.workloadSelector ? spec.workloadSelector.labels ?? {} : undefined;
  return spec.hosts.map((hostname) => ({
    kind: 'ServiceEntry',
    apiVersion: entry.apiVersion,
    meta: entry.meta,
    origin: entry.origin,
    hostname,
    ports,
    addresses: spec.addresses ?? [],
    resolution,
    meshExternal: spec.location !== 'MESH_INTERNAL',
    ...(spec.exportTo?.length ? { exportTo: spec.exportTo } : {}),
    subjectAltNames: spec.subjectAltNames ?? [],
    ...(selector ? { selector } : {}),
    entry,
  }));
}

/**
 * Whether a proxy in `namespace` sees `service` (Istio's exportTo, src/model/export-to.ts). A
 * ServiceEntry without exportTo, and every Kubernetes Service (Mast reads no exportTo annotation),
 * takes `defaults`: MeshConfig defaultServiceExportTo, as Istio's PushContext gives services.
 */
export function exportedTo(service: Service | ExternalService, namespace: string, defaults: readonly string[]): boolean {
  return isExportedTo(service.kind === 'ServiceEntry' ? service.exportTo : undefined, service.meta.namespace, namespace, defaults);
}

/** What endpoint resolution reads besides the service: the Pods and WorkloadEntries of a namespace. */
export interface WorkloadLookups {
  pods(): readonly Pod[];
  workloadEntries(): readonly WorkloadEntry[];
}

/** getTLSModeFromWorkloadEntry: the tlsMode label, else `istio` for an entry with a service account. */
function entryTlsMode(spec: WorkloadEntrySpec): string | undefined {
  return spec.labels?.[TLS_MODE_LABEL] ?? (spec.serviceAccount ? 'istio' : undefined);
}

/**
 * A WorkloadEntry (or a ServiceEntry's inline endpoint) as an endpoint of `port`
 * (convertWorkloadInstanceToServiceInstance: the entry's port of that name, else the target port,
 * else the port's number). A port of no number (a named targetPort) takes the entry's port of that name.
 */
function entryEndpoint(spec: WorkloadEntrySpec, port: ServicePort, source: WorkloadEntry | ServiceEntry): ResolvedEndpoint | undefined {
  if (!spec.address) return undefined; // address unset with a network: reachable only through that network's gateway
  const named = (port.name !== undefined ? spec.ports?.[port.name] : undefined) ?? (typeof port.targetPort === 'string' ? spec.ports?.[port.targetPort] : undefined);
  const tlsMode = entryTlsMode(spec);
  return {
    address: spec.address,
    port: named || (typeof port.targetPort === 'number' ? port.targetPort : port.port),
    ready: true,
    labels: { ...(spec.labels ?? {}) },
    ...(spec.serviceAccount ? { serviceAccount: spec.serviceAccount } : {}),
    ...(tlsMode ? { tlsMode } : {}),
    ...(spec.weight ? { weight: spec.weight } : {}),
    sources: [refOf(source)],
  };
}

/** The WorkloadEntries of `namespace` that `selector` (non-empty) picks, as endpoints of `port`. */
export function selectedWorkloadEntries(namespace: string, selector: Readonly<Record<string, string>>, port: ServicePort, lookups: WorkloadLookups): ResolvedEndpoint[] {
  return lookups
    .workloadEntries()
    .filter((we) => we.meta.namespace === namespace && labelsMatch(selector, we.spec.labels ?? {}))
    .flatMap((we) => entryEndpoint(we.spec, port, we) ?? []);
}

/**
 * The endpoints of one port of a ServiceEntry host (convertServiceEntryToInstances and the
 * controller's workloadSelector handling):
 * - `endpoints` given: each, addressed by IP (STATIC) or by name (DNS, resolved by Envoy);
 * - `workloadSelector`: the Pods (by IP, on the port's target port) and WorkloadEntries of the
 *   ServiceEntry's namespace whose labels it matches;
 * - neither, with DNS or DNS_ROUND_ROBIN resolution: the host itself, on the target port;
 * - otherwise none (NONE resolution: Envoy connects to where the app sent the connection).
 */
export function externalEndpoints(service: ExternalService, port: ServicePort, lookups: WorkloadLookups): ResolvedEndpoint[] {
  const spec = service.entry.spec;
  const namespace = service.meta.namespace;
  if (service.resolution === 'NONE') return [];
  if (spec.endpoints?.length) return spec.endpoints.flatMap((ep) => entryEndpoint(ep, port, service.entry) ?? []);
  if (service.selector) {
    const target = typeof port.targetPort === 'number' ? port.targetPort : port.port;
    const pods = lookups
      .pods()
      .filter((pod) => pod.meta.namespace === namespace && pod.ip && labelsMatch(service.selector, pod.meta.labels))
      .map((pod): ResolvedEndpoint => ({
        address: pod.ip as string,
        port: target,
        ready: pod.ready,
        labels: pod.meta.labels,
        serviceAccount: pod.serviceAccount,
        sources: [refOf(service.entry), refOf(pod)],
      }));
    return [...pods, ...selectedWorkloadEntries(namespace, service.selector, port, lookups)];
  }
  if (service.resolution === 'DNS' || service.resolution === 'DNS_ROUND_ROBIN') {
    return [{ address: service.hostname, port: typeof port.targetPort === 'number' ? port.targetPort : port.port, ready: true, labels: {}, sources: [refOf(service.entry)] }];
  }
  return [];
}
