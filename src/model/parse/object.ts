// One raw Kubernetes-shaped object -> one typed, validated model object plus findings.
import { diagnostic, formatOrigin } from '../errors';
import type { Diagnostic, Kind, MeshObject, Meta, ObjectRef, Origin } from '../types';
import { toAuthorizationPolicy, toDestinationRule, toGateway, toPeerAuthentication, toRequestAuthentication, toEnvoyFilter, toServiceEntry, toSidecar, toTelemetry, toVirtualService, toWorkloadEntry } from './istio';
import { toEndpointSlice } from './endpoint-slice';
import { ignoredConfigMap, toMeshConfigMap } from './mesh-config-map';
import { ROOT_NAMESPACE } from '../destination-rules';
import { toPod } from './pod';
import { FieldReader, isRecord, type Json } from './read';
import { toService } from './service';
import { timestampMillis } from '../creation-order';
import { checkObjectName } from '../validate/kubernetes-names';

export interface ParseOptions {
  /** The cluster DNS suffix services' hostnames end in. */
  domain: string;
  /** Istio's root namespace, whose `istio` ConfigMap is the mesh config (istio-system when unset). */
  rootNamespace?: string;
  /** `--mesh-config FILE`: only the ConfigMap read from this file is the mesh config. */
  meshConfigFile?: string;
}

export interface ConvertContext extends ParseOptions {
  read: FieldReader;
  base: { apiVersion: string; meta: Meta; origin: Origin };
}

interface KindParser {
  apiVersions: readonly string[];
  convert(raw: Json, ctx: ConvertContext): MeshObject;
}

// Istio serves the same schema under each of a group's versions.
const ISTIO_NETWORKING = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];
const ISTIO_SECURITY = ['security.istio.io/v1', 'security.istio.io/v1beta1'];
const ISTIO_TELEMETRY = ['telemetry.istio.io/v1', 'telemetry.istio.io/v1alpha1'];

const KINDS: Record<Kind, KindParser> = {
  Service: { apiVersions: ['v1'], convert: toService },
  ConfigMap: { apiVersions: ['v1'], convert: toMeshConfigMap },
  Pod: { apiVersions: ['v1'], convert: toPod },
  EndpointSlice: { apiVersions: ['discovery.k8s.io/v1'], convert: toEndpointSlice },
  VirtualService: { apiVersions: ISTIO_NETWORKING, convert: toVirtualService },
  DestinationRule: { apiVersions: ISTIO_NETWORKING, convert: toDestinationRule },
  Gateway: { apiVersions: ISTIO_NETWORKING, convert: toGateway },
  ServiceEntry: { apiVersions: ISTIO_NETWORKING, convert: toServiceEntry },
  Sidecar: { apiVersions: ISTIO_NETWORKING, convert: toSidecar },
  // Istio serves EnvoyFilter at v1alpha3 alone.
  EnvoyFilter: { apiVersions: ['networking.istio.io/v1alpha3'], convert: toEnvoyFilter },
  WorkloadEntry: { apiVersions: ISTIO_NETWORKING, convert: toWorkloadEntry },
  PeerAuthentication: { apiVersions: ISTIO_SECURITY, convert: toPeerAuthentication },
  AuthorizationPolicy: { apiVersions: ISTIO_SECURITY, convert: toAuthorizationPolicy },
  RequestAuthentication: { apiVersions: ISTIO_SECURITY, convert: toRequestAuthentication },
  Telemetry: { apiVersions: ISTIO_TELEMETRY, convert: toTelemetry },
};

export interface ParsedObject {
  /** Identity within a source: `Kind/namespace/name`, also for kinds Mast does not know. */
  id: string;
  origin: Origin;
  ref?: ObjectRef;
  /** Present only when this version is valid (warnings allowed, no errors). */
  object?: MeshObject;
  diagnostics: Diagnostic[];
}

export function parseObject(raw: unknown, origin: Origin, opts: ParseOptions): ParsedObject {
  if (!isRecord(raw) || typeof raw.kind !== 'string' || typeof raw.apiVersion !== 'string') {
    return unidentified(`#${formatOrigin(origin)}`, origin, diagnostic('MAST1002', 'expected a mapping with apiVersion and kind', { origin }));
  }
  const { kind, apiVersion } = raw;
  const metadata = isRecord(raw.metadata) ? raw.metadata : {};
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace ? metadata.namespace : 'default';
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const id = `${kind}/${namespace}/${name}`;

  if (!isKnownKind(kind)) {
    return unidentified(id, origin, diagnostic('MAST1003', `kind ${kind} (${apiVersion}) is not known to Mast; ${id} is ignored`, { origin }));
  }
  const parser = KINDS[kind];
  if (!parser.apiVersions.includes(apiVersion)) {
    const expected = parser.apiVersions.join(', ');
    return unidentified(id, origin, diagnostic('MAST1004', `${kind} ${apiVersion} is not supported (use ${expected}); ${id} is ignored`, { origin }));
  }
  if (!name) return unidentified(id, origin, diagnostic('MAST1005', `${kind} has no metadata.name`, { origin, field: 'metadata.name' }));
  const ignored = kind === 'ConfigMap' ? ignoredConfigMap(namespace, name, origin, opts.rootNamespace ?? ROOT_NAMESPACE, opts.meshConfigFile) : undefined;
  if (ignored) return unidentified(id, origin, ignored);

  const ref: ObjectRef = { kind, namespace, name };
  const read = new FieldReader(origin, ref);
  const meta = readMeta(raw, name, namespace, read);
  const object = deepFreeze(parser.convert(raw, { read, domain: opts.domain, base: { apiVersion, meta, origin } }));
  // After the kind's own checks: Istio's run only while nothing is wrong yet, and still say what they find.
  checkObjectName(read, kind, name, namespace);
  const parsed: ParsedObject = { id, origin, ref, diagnostics: read.diagnostics };
  if (!read.hasErrors()) parsed.object = object;
  return parsed;
}

function unidentified(id: string, origin: Origin, d: Diagnostic): ParsedObject {
  return { id, origin, diagnostics: [d] };
}

function isKnownKind(kind: string): kind is Kind {
  return Object.prototype.hasOwnProperty.call(KINDS, kind);
}

function readMeta(raw: Json, name: string, namespace: string, read: FieldReader): Meta {
  const metadata = read.record(raw, 'metadata', '') ?? {};
  const meta: Meta = {
    name,
    namespace,
    labels: read.stringMap(metadata, 'labels', 'metadata'),
    annotations: read.stringMap(metadata, 'annotations', 'metadata'),
  };
  const generation = read.int(metadata, 'generation', 'metadata');
  // Not resourceVersion: it changes with every write, status included, and an object that differs
  // only by it would be a change to push (istiod pushes on spec changes alone:
  // pilot/pkg/bootstrap/config_compare.go needsPush). Mast's own status writes then pushed again.
  const creationTimestamp = read.string(metadata, 'creationTimestamp', 'metadata');
  if (generation !== undefined) meta.generation = generation;
  if (creationTimestamp !== undefined) {
    // The API server refuses what Go's time.Parse(time.RFC3339, ...) cannot read (metav1.Time).
    if (timestampMillis(creationTimestamp) === undefined) read.report('MAST1006', 'metadata.creationTimestamp', `${JSON.stringify(creationTimestamp)} is not an RFC 3339 time (e.g. 2024-05-01T12:00:00Z)`);
    else meta.creationTimestamp = creationTimestamp;
  }
  return meta;
}

/** Snapshots are shared by every translation; freezing makes an accidental write fail loudly. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
