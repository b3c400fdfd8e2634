// Authenticated xDS: who a stream may speak for. A proxy proves an identity with a bearer token in
// its stream's gRPC metadata (`authorization: Bearer ...`, what Envoy sends from the bootstrap's
// `initial_metadata` or a token file), an authenticator turns the token into that identity, and
// the stream is served only while the proxy it claims to be is that identity. Istio checks the
// same at the start of each stream (pilot/pkg/xds/authentication.go): a Kubernetes token's
// namespace and service account must be the proxy's.
import * as grpc from '@grpc/grpc-js';
import type { Pod } from '../model/types';
import { parseNodeId, podNameOf } from '../proxy/node';
import type { Proxy, ProxyRole } from '../translate/types';

/** What a credential proves: a workload identity, and where it is narrower, one Pod or address. */
export interface ProvenIdentity {
  namespace: string;
  serviceAccount: string;
  /** The Pod the credential is bound to (a projected token's `pod-name`, a Mast token's pod). */
  pod?: string;
  /** Every address the proxy may claim, when the credential names them (Mast tokens may). */
  ips?: string[];
  /** The role the proxy may claim, when the credential names it (Mast tokens do). */
  role?: ProxyRole;
  /** What proved it, for log lines: `TokenReview`, `Mast token`. */
  by: string;
}

/**
 * Why a stream was not admitted: `denied` (PERMISSION_DENIED: no token, or one that proves
 * nothing or the wrong thing) or `unavailable` (UNAVAILABLE: the check itself could not be made,
 * say the API server did not answer; Envoy retries).
 */
export interface Refusal {
  refused: string;
  code: 'denied' | 'unavailable';
}

/** Turns a stream's bearer token (undefined: none was sent) into the identity it proves. */
export interface XdsAuthenticator {
  authenticate(token: string | undefined): Promise<ProvenIdentity | Refusal>;
}

/** Whether an authenticator's answer is a refusal rather than an identity. */
export function isRefusal(r: ProvenIdentity | Refusal): r is Refusal {
  return 'refused' in r;
}

/** The token of an `authorization: Bearer TOKEN` value (scheme case-insensitive, RFC 6750), if any. */
export function bearerOf(authorization: string | undefined): string | undefined {
  return /^bearer[ \t]+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/** The bearer token in a call's gRPC metadata, if any. */
export function bearerToken(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  return typeof value === 'string' ? bearerOf(value) : undefined;
}

/**
 * The identity a call's token proves, or why it is refused; an authenticator that fails (the API
 * server did not answer, say) refuses as `unavailable`, so the proxy retries.
 */
export async function admit(authenticator: XdsAuthenticator, metadata: grpc.Metadata): Promise<ProvenIdentity | Refusal> {
  return authenticator.authenticate(bearerToken(metadata)).catch((err: unknown) => ({
    refused: `the token could not be checked: ${err instanceof Error ? err.message : String(err)}`,
    code: 'unavailable' as const,
  }));
}

/** The gRPC status a refused call ends with. */
export function refusalStatus(r: Refusal): grpc.status {
  return r.code === 'denied' ? grpc.status.PERMISSION_DENIED : grpc.status.UNAVAILABLE;
}

/**
 * Why a proxy that proved `identity` may not be served as `proxy` (already resolved against the
 * model: `pod` is the Pod its IPs found, if any), or undefined when it may. Checked are the node
 * id itself (what /debug/syncz and the NACK metric file the stream under: its namespace, pod and
 * IP) as well as the namespace, service account and Pod Mast serves config and certificates for,
 * so a stream can neither be served nor be listed as anyone else. With `requirePod` (Kubernetes
 * mode) a proxy whose IPs no Pod has yet passes once its node id is its own: it is served
 * nothing until a Pod has its IP, and then the Pod's namespace, service account and name are
 * checked too.
 */
export function mismatch(identity: ProvenIdentity, { proxy, pod }: { proxy: Proxy; pod: Pod | undefined }, requirePod = false): string | undefined {
  const node = parseNodeId(proxy.id);
  if ('error' in node) return node.error;
  const who = `${identity.namespace}/${identity.serviceAccount}`;
  const bound = `its token is bound to Pod ${identity.namespace}/${identity.pod}`;
  // The node id first: a stream is listed under it whether or not a Pod has its IP yet.
  if (node.namespace !== identity.namespace) return `its token is for ${who}, the node id is in namespace ${node.namespace}`;
  if (identity.pod !== undefined && podNameOf(node) !== identity.pod) return `${bound}, the node id names ${podNameOf(node)}`;
  if (identity.role !== undefined && node.role !== identity.role) return `its token is for a ${identity.role}, the node id names a ${node.role}`;
  if (!proxy.ips.includes(node.ip)) return `its node id names IP ${node.ip}, not one of its addresses (${proxy.ips.join(', ')})`;
  const allowed = identity.ips;
  const stray = allowed && proxy.ips.find((ip) => !allowed.includes(ip));
  if (stray !== undefined && allowed) return `its token allows ${allowed.join(', ')}, the proxy claims ${stray}`;
  if (!pod && requirePod) return undefined;
  if (proxy.namespace !== identity.namespace) return `its token is for ${who}, the proxy is in namespace ${proxy.namespace}`;
  if (proxy.serviceAccount !== identity.serviceAccount) return `its token is for ${who}, the proxy runs as service account ${proxy.serviceAccount}`;
  if (identity.pod !== undefined && pod && (pod.meta.name !== identity.pod || pod.meta.namespace !== identity.namespace)) {
    return `${bound}, its IP belongs to Pod ${pod.meta.namespace}/${pod.meta.name}`;
  }
  return undefined;
}
