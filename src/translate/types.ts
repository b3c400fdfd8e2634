// What translation takes (a proxy's class) and gives (Envoy resources as proto3 JSON objects with
// snake_case field names, as Envoy's own config_dump prints them; nested Any values carry "@type").

export type ProxyRole = 'sidecar' | 'router';

/**
 * How a sidecar receives and sends traffic.
 * - `REDIRECT`: iptables captures traffic (Istio's default); per-port listeners do not bind and the
 *   virtual listeners hand connections over by original destination.
 * - `NONE`: no capture; every listener binds its own address, and apps address their sidecar
 *   explicitly. This is what runs on a laptop with loopback addresses.
 */
export type InterceptionMode = 'REDIRECT' | 'NONE';

/** Everything about a proxy that its configuration depends on. Equal classes get equal config. */
export interface ProxyClass {
  role: ProxyRole;
  namespace: string;
  labels: Record<string, string>;
  /** The workload's own addresses (pod IPs). Inbound listeners bind here in NONE mode. */
  ips: string[];
  interceptionMode: InterceptionMode;
  /** Where the app itself listens, the target of inbound clusters (a pod's localhost). */
  localAddress: string;
  /** Where outbound listeners bind in NONE mode (a per-pod loopback address on a laptop). */
  outboundAddress: string;
  /**
   * Envoy's `node.locality` as `region/zone/subzone`, when the bootstrap sets one. The workload's
   * topology labels win over it, as in Istio (traffic-policy/locality.ts proxyLocality).
   */
  locality?: string;
}

/** A proxy as the xDS server knows it: its class plus its identity. */
export interface Proxy extends ProxyClass {
  id: string;
  /** `pod.namespace` for sidecars, `name.namespace` for routers. */
  workloadName: string;
  serviceAccount: string;
}

export type EnvoyJson = { [k: string]: unknown };

export interface NamedResource {
  name: string;
  json: EnvoyJson;
  /**
   * The model objects the resource was made from, `Kind/namespace/name`, sorted: for /debug and
   * for tracing a rejected resource back to its objects. Kept beside the resource, not encoded in
   * it: Envoy drains a listener and re-warms a cluster whose bytes change, so naming one more
   * Service that shares a port must not change them (see provenance.ts).
   */
  sources?: readonly string[];
  /**
   * Set when EnvoyFilter patches changed or added the resource (src/translate/envoy-filter/): the
   * patches (`EnvoyFilter/ns/name#spec.configPatches[i]`) and the resource before them, so that a
   * resource Envoy would reject only since a patch is blamed on that patch.
   */
  patched?: { by: readonly string[]; original?: NamedResource };
}

/** The four resource types translation produces, each as a list of uniquely named resources. */
export interface ResourceSet {
  clusters: NamedResource[];
  endpoints: NamedResource[];
  listeners: NamedResource[];
  routes: NamedResource[];
  /**
   * ECDS: TypedExtensionConfigs that EnvoyFilter EXTENSION_CONFIG patches supply by name, for
   * filters whose `config_discovery` asks for them; absent when none reaches the proxy.
   */
  extensionConfigs?: NamedResource[];
}

export const TYPE_URLS = {
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
  extensionConfig: 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig',
} as const;
