// The contract between `mast bootstrap` and the xDS server: how a proxy's node id and metadata
// describe it. Ids and keys follow Istio's so that Istio tooling and habits carry over.
import type { InterceptionMode, Proxy, ProxyRole } from '../translate/types';

export const META = {
  namespace: 'NAMESPACE',
  labels: 'LABELS',
  instanceIps: 'INSTANCE_IPS',
  serviceAccount: 'SERVICE_ACCOUNT',
  name: 'NAME',
  interceptionMode: 'INTERCEPTION_MODE',
  localAddress: 'MAST_LOCAL_ADDRESS',
  outboundAddress: 'MAST_OUTBOUND_ADDRESS',
} as const;

/** `sidecar~10.0.0.1~reviews-v1-abc.default~default.svc.cluster.local`, as Istio writes it. */
export function nodeId(role: ProxyRole, ip: string, workloadName: string, namespace: string, domain = 'cluster.local'): string {
  return `${role}~${ip}~${workloadName}~${namespace}.svc.${domain}`;
}

export interface ParsedNodeId {
  role: ProxyRole;
  ip: string;
  workloadName: string;
  namespace: string;
}

export function parseNodeId(id: string): ParsedNodeId | { error: string } {
  const parts = id.split('~');
  if (parts.length !== 4) return { error: `node id "${id}" is not of the form ROLE~IP~NAME.NAMESPACE~NAMESPACE.svc.DOMAIN` };
  const [role, ip, workloadName, dnsDomain] = parts as [string, string, string, string];
  if (role !== 'sidecar' && role !== 'router') return { error: `node id "${id}": role "${role}" is neither sidecar nor router` };
  const dot = workloadName.lastIndexOf('.');
  const namespace = dot > 0 ? workloadName.slice(dot + 1) : dnsDomain.split('.')[0] ?? '';
  if (!namespace) return { error: `node id "${id}" names no namespace` };
  return { role, ip, workloadName, namespace };
}

/** The name of the Pod a parsed node id names: `reviews-v1-abc.default` in `default` -> `reviews-v1-abc`. */
export function podNameOf(node: ParsedNodeId): string {
  const suffix = `.${node.namespace}`;
  return node.workloadName.endsWith(suffix) ? node.workloadName.slice(0, -suffix.length) : node.workloadName;
}

type MetadataValue = string | number | boolean | null | MetadataValue[] | { [k: string]: MetadataValue };

/**
 * Builds a Proxy from a node id, its (already JSON-decoded) metadata struct and Envoy's
 * `node.locality` (region, zone, sub_zone; kept as `region/zone/subzone` when any is set).
 */
export function proxyFromNode(id: string, metadata: Record<string, MetadataValue>, locality?: { region?: string; zone?: string; sub_zone?: string } | null): Proxy | { error: string } {
  const parsed = parseNodeId(id);
  if ('error' in parsed) return parsed;
  const str = (k: string): string | undefined => {
    const v = metadata[k];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const rawLabels = metadata[META.labels];
  const labels: Record<string, string> = {};
  if (rawLabels && typeof rawLabels === 'object' && !Array.isArray(rawLabels)) {
    for (const [k, v] of Object.entries(rawLabels)) if (typeof v === 'string') labels[k] = v;
  }
  const ips = (str(META.instanceIps) ?? parsed.ip).split(',').map((s) => s.trim()).filter(Boolean);
  const mode = str(META.interceptionMode) ?? 'REDIRECT';
  if (mode !== 'REDIRECT' && mode !== 'NONE') return { error: `node ${id}: ${META.interceptionMode} "${mode}" is neither REDIRECT nor NONE` };
  return {
    id,
    role: parsed.role,
    workloadName: parsed.workloadName,
    namespace: str(META.namespace) ?? parsed.namespace,
    labels,
    ips,
    serviceAccount: str(META.serviceAccount) ?? 'default',
    interceptionMode: mode as InterceptionMode,
    localAddress: str(META.localAddress) ?? '127.0.0.1',
    outboundAddress: str(META.outboundAddress) ?? '0.0.0.0',
    ...(locality && (locality.region || locality.zone || locality.sub_zone) ? { locality: [locality.region ?? '', locality.zone ?? '', locality.sub_zone ?? ''].join('/') } : {}),
  };
}
