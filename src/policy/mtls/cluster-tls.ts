// How an outbound cluster talks to its endpoints: the DestinationRule's `tls` when it has one,
// otherwise auto mutual TLS, Istio's default (pilot/pkg/networking/core/cluster_tls.go:
// buildUpstreamTLSSettings, applyUpstreamTLSSettings; push_context.go
// BestEffortInferServiceMTLSMode). Auto-mTLS sends mTLS to endpoints whose metadata says they
// have a sidecar (endpoint-tls-mode.ts) and plaintext to the others, per endpoint, through
// Envoy's transport_socket_matches.
import type { MeshService, Snapshot } from '../../model/types';
import { spiffeId } from '../../model/spiffe';
import { typed } from '../../translate/core';
import type { EnvoyJson } from '../../translate/types';
import { serviceMtlsMode } from './peer-authentication';
import { autoSniOptions, credentialTlsContext, fileTlsContext, istioMutualContext, tlsSocket, type ClientTls } from './upstream-tls';

/** The endpoint metadata key transport_socket_matches look in (EnvoyTransportSocketMetadataKey). */
export const TRANSPORT_SOCKET_MATCH_KEY = 'envoy.transport_socket_match';
/** What an endpoint with a sidecar carries there (model.TLSModeLabelShortname, IstioMutualTLSModeLabel). */
export const ISTIO_TLS_MODE = { tlsMode: 'istio' } as const;

/** Istio's annotations naming more identities a Service runs as (annotation.AlphaKubernetesServiceAccounts, AlphaCanonicalServiceAccounts). */
const KUBERNETES_SERVICE_ACCOUNTS = 'alpha.istio.io/kubernetes-serviceaccounts';
const CANONICAL_SERVICE_ACCOUNTS = 'alpha.istio.io/canonical-serviceaccounts';

/**
 * The identities a client accepts from `service`'s endpoints (push_context.go addServiceAccounts):
 * the SPIFFE ID of the service account of every Pod (or WorkloadEntry) behind any of its ports,
 * ready or not, plus those its annotations name, or a ServiceEntry's `subjectAltNames`
 * (conversion.go: ServiceAccounts), sorted and without repeats.
 */
export function serviceAccounts(snapshot: Snapshot, service: MeshService): string[] {
  const ids = new Set<string>();
  for (const port of service.ports) {
    for (const ep of snapshot.endpoints(service, port)) {
      if (ep.serviceAccount) ids.add(spiffeId(snapshot.trustDomain, { namespace: service.meta.namespace, serviceAccount: ep.serviceAccount }));
    }
  }
  if (service.kind === 'ServiceEntry') return [...new Set([...ids, ...service.subjectAltNames])].sort();
  const listed = (name: string): string[] => (service.meta.annotations[name] ?? '').split(',').filter((s) => s !== '');
  for (const id of listed(CANONICAL_SERVICE_ACCOUNTS)) ids.add(id);
  for (const sa of listed(KUBERNETES_SERVICE_ACCOUNTS)) ids.add(spiffeId(snapshot.trustDomain, { namespace: service.meta.namespace, serviceAccount: sa }));
  return [...ids].sort();
}

/** Istio's default SNI for mesh mTLS: `outbound_.9080_.v1_.reviews.default.svc.cluster.local` (BuildDNSSrvSubsetKey). */
export function istioMtlsSni(port: number, host: string, subset = ''): string {
  return `outbound_.${port}_.${subset}_.${host}`;
}

export interface ClusterTlsInput {
  /** The DestinationRule's `tls` for this cluster (merged over port and subset), if any. */
  tls: ClientTls | undefined;
  service: MeshService;
  port: number;
  subset?: string;
  http2: boolean;
  /**
   * Whether a `credentialName` is honoured: on gateways, and on sidecars for a rule with a
   * workloadSelector (Istio's buildUpstreamClusterTLSContext; anywhere else it sends plaintext).
   */
  credentials: boolean;
}

export interface ClusterTls {
  /** `transport_socket` or `transport_socket_matches`, or nothing for plaintext. */
  fields: EnvoyJson;
  /** Upstream HTTP options SIMPLE and MUTUAL need when they take the SNI from the request. */
  upstreamHttpOptions?: EnvoyJson;
}

/** Istio's KubernetesConfigMapTypeURI: a credentialName naming a ConfigMap's CA certificate. */
export const CONFIGMAP_PREFIX = 'configmap://';

const RAW_BUFFER = { name: 'envoy.transport_sockets.raw_buffer', typed_config: typed('envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer') };

/**
 * The transport socket(s) of one outbound cluster:
 * - `tls.mode` DISABLE (also a `tls` without a mode): plaintext;
 * - SIMPLE, MUTUAL: TLS with the files the rule names, or its credentialName's over SDS
 *   (upstream-tls.ts);
 * - ISTIO_MUTUAL: mesh mTLS to every endpoint, SANs and SNI the rule's or Istio's defaults;
 * - no `tls`: auto-mTLS, mesh mTLS to endpoints with a sidecar (`tlsMode-istio`) and plaintext to
 *   the rest (`tlsMode-disabled`), unless the service's namespace (or the mesh) disables mTLS,
 *   or the service is a MESH_EXTERNAL ServiceEntry host (Istio: no auto mTLS for MeshExternal).
 */
export function clusterTls(snapshot: Snapshot, c: ClusterTlsInput): ClusterTls {
  const tls = c.tls;
  const mode = tls ? (tls.mode ?? 'DISABLE') : undefined;
  if (mode === 'DISABLE') return { fields: {} };
  if (tls && (mode === 'SIMPLE' || mode === 'MUTUAL')) {
    // A sidecar that a rule with a credentialName does not select gets no TLS context at all, as
    // in Istio, so that every sidecar of the mesh does not wait for a credential it cannot read;
    // validation warns of it (MAST2041).
    // configmap:// (a CA from a ConfigMap) is not served by Mast: such a rule verifies against the
    // system roots instead (validation says so, MAST1008), failing closed rather than open.
    const credential = tls.credentialName && !tls.credentialName.startsWith(CONFIGMAP_PREFIX);
    if (credential && !c.credentials) return { fields: {} };
    const options = autoSniOptions(tls);
    const context = credential ? credentialTlsContext(tls, c.http2) : fileTlsContext(tls, c.http2);
    return { fields: { transport_socket: tlsSocket(context) }, ...(options ? { upstreamHttpOptions: options } : {}) };
  }
  const host = c.service.hostname;
  const sni = tls?.sni || istioMtlsSni(c.port, host, c.subset);
  // An empty list is no list (a proto repeated field): the service's accounts, as in Istio.
  const sans = tls?.subjectAltNames?.length ? tls.subjectAltNames : serviceAccounts(snapshot, c.service);
  const socket = tlsSocket(istioMutualContext(sans, sni, c.http2));
  if (mode === 'ISTIO_MUTUAL') return { fields: { transport_socket: socket } };
  if (c.service.kind === 'ServiceEntry' && c.service.meshExternal) return { fields: {} };
  if (serviceMtlsMode(snapshot, c.service.meta.namespace) === 'DISABLE') return { fields: {} };
  return {
    fields: {
      transport_socket_matches: [
        { name: 'tlsMode-istio', match: ISTIO_TLS_MODE, transport_socket: socket },
        { name: 'tlsMode-disabled', match: {}, transport_socket: RAW_BUFFER },
      ],
    },
  };
}
