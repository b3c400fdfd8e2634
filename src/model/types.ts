// The typed model every source feeds and every translator reads. Nothing here knows whether an
// object came from a file or from the Kubernetes API.
import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import type { IDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import type { IGateway } from '@kubernetes-models/istio/networking.istio.io/v1/Gateway';
import type { IServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry';
import type { ISidecar } from '@kubernetes-models/istio/networking.istio.io/v1/Sidecar';
import type { IEnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';
import type { IWorkloadEntry } from '@kubernetes-models/istio/networking.istio.io/v1/WorkloadEntry';
import type { IAuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import type { IPeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication';
import type { IRequestAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication';
import type { ReadKeys } from './key-changes';
import type { MeshConfig } from './mesh-config';
import type { ITelemetry } from '@kubernetes-models/istio/telemetry.istio.io/v1/Telemetry';

/** The security.istio.io kinds, translated by src/policy/. */
export type SecurityKind = 'PeerAuthentication' | 'AuthorizationPolicy' | 'RequestAuthentication';

export type Kind = 'Service' | 'EndpointSlice' | 'Pod' | 'VirtualService' | 'DestinationRule' | 'Gateway' | 'Sidecar' | 'EnvoyFilter' | 'ServiceEntry' | 'WorkloadEntry' | SecurityKind | 'Telemetry' | 'ConfigMap';

/** Identifies one object; `key()` gives its canonical string form `Kind/namespace/name`. */
export interface ObjectRef {
  kind: Kind;
  namespace: string;
  name: string;
}

/** Where an object was read from, for error messages: a file (and document index) or an API path. */
export interface Origin {
  file?: string;
  /** 1-based position of the YAML document in its file. */
  doc?: number;
  /** 1-based line, when a finding points inside a document (malformed YAML). */
  line?: number;
  apiPath?: string;
}

export interface Meta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generation?: number;
  /**
   * When the API server created the object (RFC 3339, `2024-05-01T12:00:00Z`); file-mode objects
   * seldom have one. Orders objects that claim the same thing (src/model/creation-order.ts).
   */
  creationTimestamp?: string;
}

interface Base<K extends Kind> {
  kind: K;
  apiVersion: string;
  meta: Meta;
  origin: Origin;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort: number | string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
}

export interface Service extends Base<'Service'> {
  /** `name.namespace.svc.<domain>`, the host VirtualServices and DestinationRules name. */
  hostname: string;
  clusterIP?: string;
  selector?: Record<string, string>;
  ports: ServicePort[];
}

export interface EndpointSlicePort {
  name?: string;
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
}

export interface SliceEndpoint {
  addresses: string[];
  ready: boolean;
  /** The Pod behind the endpoint (EndpointSlice targetRef), used to find its labels. */
  podRef?: { namespace: string; name: string };
  nodeName?: string;
  zone?: string;
}

export interface EndpointSlice extends Base<'EndpointSlice'> {
  /** From the `kubernetes.io/service-name` label. */
  serviceName: string;
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  ports: EndpointSlicePort[];
  endpoints: SliceEndpoint[];
}

export interface Pod extends Base<'Pod'> {
  ip?: string;
  serviceAccount: string;
  ready: boolean;
  containerPorts: { name?: string; containerPort: number; protocol: 'TCP' | 'UDP' | 'SCTP' }[];
}

export type VirtualServiceSpec = NonNullable<IVirtualService['spec']>;
export type DestinationRuleSpec = NonNullable<IDestinationRule['spec']>;
export type GatewaySpec = NonNullable<IGateway['spec']>;

export interface VirtualService extends Base<'VirtualService'> {
  spec: VirtualServiceSpec;
}
export interface DestinationRule extends Base<'DestinationRule'> {
  spec: DestinationRuleSpec;
}
export interface Gateway extends Base<'Gateway'> {
  spec: GatewaySpec;
}

export type SidecarSpec = NonNullable<ISidecar['spec']>;
/** Scopes what the sidecars it selects receive (src/translate/sidecar-scope.ts). */
export interface Sidecar extends Base<'Sidecar'> {
  spec: SidecarSpec;
}

export type TelemetrySpec = NonNullable<ITelemetry['spec']>;
/** Access logging and tracing for the workloads it selects (src/translate/telemetry/). */
export interface Telemetry extends Base<'Telemetry'> {
  spec: TelemetrySpec;
}

export type EnvoyFilterSpec = NonNullable<IEnvoyFilter['spec']>;
/** Patches the Envoy resources of the proxies it selects (src/translate/envoy-filter/). */
export interface EnvoyFilter extends Base<'EnvoyFilter'> {
  spec: EnvoyFilterSpec;
}

export type ServiceEntrySpec = NonNullable<IServiceEntry['spec']>;
export type WorkloadEntrySpec = NonNullable<IWorkloadEntry['spec']>;
/** Adds hosts to the mesh's registry (src/model/service-entries.ts turns each host into an ExternalService). */
export interface ServiceEntry extends Base<'ServiceEntry'> {
  spec: ServiceEntrySpec;
}
/** A workload outside Kubernetes (a VM, a bare process) as an endpoint of the Services and ServiceEntries that select it. */
export interface WorkloadEntry extends Base<'WorkloadEntry'> {
  spec: WorkloadEntrySpec;
}

/** How a ServiceEntry's endpoints are found (ServiceEntry.Resolution; DYNAMIC_DNS is not translated). */
export type Resolution = 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';

/**
 * One host of a ServiceEntry, as Istio's convertServices makes a model.Service of each
 * (pilot/pkg/serviceregistry/serviceentry/conversion.go): its `meta` and `origin` are the
 * ServiceEntry's, so provenance names the ServiceEntry.
 */
export interface ExternalService extends Base<'ServiceEntry'> {
  hostname: string;
  /** The ServiceEntry's ports; `appProtocol` holds the port's `protocol`, lower-cased, which Mast's protocol selection reads first. */
  ports: ServicePort[];
  /** `spec.addresses`: IPs (and CIDRs) that also name the host in Host headers. */
  addresses: string[];
  resolution: Resolution;
  /** location MESH_EXTERNAL (the default): no auto mutual TLS, as Istio's MeshExternal. */
  meshExternal: boolean;
  /** `spec.exportTo`, absent for "every namespace". */
  exportTo?: readonly string[];
  /** `spec.subjectAltNames`: identities accepted from its endpoints over mutual TLS, beside their service accounts. */
  subjectAltNames: readonly string[];
  /** `spec.workloadSelector.labels`: the Pods and WorkloadEntries of its namespace that are its endpoints. */
  selector?: Readonly<Record<string, string>>;
  entry: ServiceEntry;
}

/** What Istio's registry calls a service: a Kubernetes Service, or a host of a ServiceEntry. */
export type MeshService = Service | ExternalService;

export type PeerAuthenticationSpec = NonNullable<IPeerAuthentication['spec']>;
export type AuthorizationPolicySpec = NonNullable<IAuthorizationPolicy['spec']>;
export type RequestAuthenticationSpec = NonNullable<IRequestAuthentication['spec']>;

export interface PeerAuthentication extends Base<'PeerAuthentication'> {
  spec: PeerAuthenticationSpec;
}
export interface AuthorizationPolicy extends Base<'AuthorizationPolicy'> {
  spec: AuthorizationPolicySpec;
}
export interface RequestAuthentication extends Base<'RequestAuthentication'> {
  spec: RequestAuthenticationSpec;
}

/**
 * The `istio` ConfigMap of the root namespace (or `--mesh-config FILE`, read as one): its `mesh`
 * key, Istio's MeshConfig, read over Istio's defaults (src/model/mesh-config.ts). No other
 * ConfigMap is a model object.
 */
export interface MeshConfigMap extends Base<'ConfigMap'> {
  mesh: MeshConfig;
}

export type MeshObject =
  | Service
  | EndpointSlice
  | Pod
  | VirtualService
  | DestinationRule
  | Gateway
  | Sidecar
  | EnvoyFilter
  | ServiceEntry
  | WorkloadEntry
  | PeerAuthentication
  | AuthorizationPolicy
  | RequestAuthentication
  | Telemetry
  | MeshConfigMap;

/** An endpoint of one service port, with the labels of the Pod behind it. */
export interface ResolvedEndpoint {
  address: string;
  port: number;
  ready: boolean;
  labels: Record<string, string>;
  /** The service account of the Pod behind it, when the Pod is known: its workload identity. */
  serviceAccount?: string;
  /**
   * `istio` when the workload takes mesh mTLS without a Pod label saying so: a WorkloadEntry with a
   * serviceAccount (conversion.go getTLSModeFromWorkloadEntry); otherwise its labels decide.
   */
  tlsMode?: string;
  /** A WorkloadEntry's or ServiceEntry endpoint's `weight` (Envoy's load_balancing_weight). */
  weight?: number;
  /** The EndpointSlice (and Pod, when known), or the ServiceEntry or WorkloadEntry, it came from, for provenance. */
  sources: ObjectRef[];
}

/** Mesh-wide settings that come from Mast's flags rather than from objects. */
export interface MeshSettings {
  /** The cluster DNS suffix, `cluster.local` by default. */
  domain: string;
  /** The SPIFFE trust domain of workload identities (`spiffe://TD/ns/NS/sa/SA`), `cluster.local` by default. */
  trustDomain: string;
  /** Istio's root namespace: its PeerAuthentications and DestinationRules apply mesh-wide (`istio-system`). */
  rootNamespace: string;
}

export type OutboundTrafficPolicyMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/**
 * An immutable, validated view of the whole mesh at one generation. Only valid objects are in
 * it: an object that fails validation is represented by its last valid version, or is absent.
 */
export interface Snapshot extends Readonly<MeshSettings> {
  readonly generation: number;
  /** Istio's MeshConfig: the root namespace's `istio` ConfigMap or `--mesh-config`, over Istio's defaults (reads kind ConfigMap). */
  readonly meshConfig: MeshConfig;
  /** meshConfig.outboundTrafficPolicy.mode, Istio's ALLOW_ANY when not set. */
  readonly outboundTrafficPolicy: OutboundTrafficPolicyMode;
  /** In creation order (src/model/creation-order.ts): of two Services claiming one thing, the first keeps it. */
  services(): readonly MeshService[];
  serviceByHost(host: string): MeshService | undefined;
  endpoints(service: MeshService, port: ServicePort): readonly ResolvedEndpoint[];
  pods(): readonly Pod[];
  podByIp(ip: string): Pod | undefined;
  workloadEntries(): readonly WorkloadEntry[];
  /** Services of `namespace` whose (non-empty) selector matches `labels`: a workload's own Services. */
  servicesSelecting(namespace: string, labels: Record<string, string>): readonly Service[];
  /**
   * In creation order (src/model/creation-order.ts), the order in which Istio lets VirtualServices
   * claim a host on sidecars (the oldest wins) and merges their routes on gateways.
   */
  virtualServices(): readonly VirtualService[];
  /**
   * The distinct non-empty `sourceLabels` of every VirtualService http, tcp and tls match: the
   * only way a proxy's labels shape its outbound routes and listeners.
   */
  sourceLabelSelectors(): readonly Readonly<Record<string, string>>[];
  destinationRules(): readonly DestinationRule[];
  /**
   * The DestinationRule that applies to `host` as seen from `namespace`, per Istio's lookup order;
   * with the workload's `labels`, a rule whose workloadSelector selects it in its namespace first.
   */
  destinationRuleFor(host: string, namespace: string, labels?: Readonly<Record<string, string>>): DestinationRule | undefined;
  gateways(): readonly Gateway[];
  /**
   * The Sidecar that applies to a sidecar proxy in `namespace` with `labels`, as Istio picks it
   * (PushContext.getSidecarScope): the oldest of the namespace's whose workloadSelector matches,
   * else the namespace's oldest without one, else the root namespace's oldest without one (the
   * mesh default); undefined when none does.
   */
  sidecarFor(namespace: string, labels: Readonly<Record<string, string>>): Sidecar | undefined;
  /** In creation order (Istio orders them by priority, then creation time: src/translate/envoy-filter/select.ts). */
  envoyFilters(): readonly EnvoyFilter[];
  /** In creation order: of two at one level (mesh, namespace, workload), Istio applies the oldest. */
  peerAuthentications(): readonly PeerAuthentication[];
  authorizationPolicies(): readonly AuthorizationPolicy[];
  requestAuthentications(): readonly RequestAuthentication[];
  /** In creation order: of two namespace-wide ones in a namespace, Istio applies the oldest. */
  telemetries(): readonly Telemetry[];
  /** Any object in the snapshot, by kind, namespace and name. */
  object(ref: ObjectRef): MeshObject | undefined;
  /**
   * Whether an object of any of `kinds` was added, changed or removed after snapshot generation
   * `since`. What was built from a snapshot reading only unchanged kinds needs no rebuild.
   */
  changedSince(kinds: Iterable<Kind>, since: number): boolean;
  /** `changedSince` for fine read keys (snapshot-reads.ts `endpointsKey`: one Service's endpoints). */
  keysChangedSince(keys: ReadKeys, since: number): boolean;
  /** The fine read keys changed after generation `since`, or undefined when that is no longer known. */
  keysChangedAfter(since: number): readonly string[] | undefined;
}

export type Severity = 'error' | 'warning';

/** One finding about one object, the unit shared by logs, status, /debug and `mast analyze`. */
export interface Diagnostic {
  code: string;
  severity: Severity;
  object?: ObjectRef;
  origin?: Origin;
  /** Dotted path to the offending field, e.g. `spec.http[0].route[1].weight`. */
  field?: string;
  message: string;
}

export function refKey(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** The object `obj` is or (an ExternalService) was made from. */
export function refOf(obj: MeshObject | ExternalService): ObjectRef {
  return { kind: obj.kind, namespace: obj.meta.namespace, name: obj.meta.name };
}
