// A Service, and the EndpointSlice the EndpointSlice controller would make of it, as a scenario
// applies them: in file mode the config dir has no controller, so a Service's endpoints are
// written out; the Kubernetes harness applies the EndpointSlice as it is too (for an endpoint that
// is no Pod, the controller would list nothing). Field names as in discovery.k8s.io/v1 and core/v1.
import { stringify } from 'yaml';

export interface ServicePort {
  name: string;
  port: number;
  /** The endpoints' port (a number, or a container port's name); `port` when absent. */
  targetPort?: number | string;
}

export interface Endpoint {
  ip: string;
  /** The Pod behind the address (its targetRef), in the Service's namespace; none for a server the test runs itself. */
  pod?: string;
}

export interface ServiceOptions {
  namespace?: string;
  ports: ServicePort[];
  selector?: Record<string, string>;
  clusterIP?: string;
  labels?: Record<string, string>;
}

/** The YAML of one Service (core/v1), ending in a newline. */
export function serviceYaml(name: string, o: ServiceOptions): string {
  const ports = o.ports.map((p) => ({ name: p.name, port: p.port, ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}) }));
  return stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.namespace ?? 'default', ...(o.labels ? { labels: o.labels } : {}) },
    spec: { ...(o.clusterIP ? { clusterIP: o.clusterIP } : {}), ports, ...(o.selector ? { selector: o.selector } : {}) },
  });
}

/**
 * The YAML of an EndpointSlice (discovery.k8s.io/v1, IPv4) of Service `service`, named
 * `<service>-1` unless `name` is given: each endpoint ready, each port TCP.
 */
export function endpointSliceYaml(service: string, o: { namespace?: string; name?: string; ports: { name: string; port: number }[]; endpoints: Endpoint[] }): string {
  const namespace = o.namespace ?? 'default';
  return stringify({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: o.name ?? `${service}-1`, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: o.ports.map((p) => ({ name: p.name, port: p.port, protocol: 'TCP' })),
    endpoints: o.endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: true }, ...(e.pod ? { targetRef: { kind: 'Pod', namespace, name: e.pod } } : {}) })),
  });
}

/**
 * A Service and its EndpointSlice, as two YAML documents: the slice's ports are the Service's
 * numeric target ports (its ports where none is given), under the Service ports' names.
 */
export function serviceWithEndpoints(name: string, o: ServiceOptions & { endpoints: Endpoint[] }): string {
  const ports = o.ports.map((p) => {
    if (typeof p.targetPort === 'string') throw new Error(`service ${name}: a named target port (${p.targetPort}) has no number for its EndpointSlice`);
    return { name: p.name, port: p.targetPort ?? p.port };
  });
  return `${serviceYaml(name, o)}---\n${endpointSliceYaml(name, { namespace: o.namespace, ports, endpoints: o.endpoints })}`;
}
