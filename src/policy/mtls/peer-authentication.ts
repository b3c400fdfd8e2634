// Which mutual TLS mode a workload's sidecar accepts on each port, resolved from PeerAuthentications
// as Istio resolves them (pilot/pkg/security/authn/policy_applier.go ComposePeerAuthentication;
// pilot/pkg/model/authentication.go getConfigsForWorkload, GetNamespaceMutualTLSMode).
import { labelsMatch } from '../../model/labels';
import { refOf, type ObjectRef, type PeerAuthentication, type Snapshot } from '../../model/types';

/** A resolved mode; UNSET never survives resolution (it inherits, and PERMISSIVE is the root). */
export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** Istio's default with no PeerAuthentication at all: TLS and plaintext both accepted. */
export const DEFAULT_MTLS_MODE: MtlsMode = 'PERMISSIVE';

export interface WorkloadMtls {
  /** The workload's mode: the narrowest policy's that sets one (workload, namespace, mesh). */
  mode: MtlsMode;
  /** `portLevelMtls` of the workload policy, by target port; an UNSET port takes `mode`. */
  perPort: ReadonlyMap<number, MtlsMode>;
  /** The PeerAuthentications the modes came from, for provenance. */
  sources: readonly ObjectRef[];
}

type SpecMode = NonNullable<NonNullable<PeerAuthentication['spec']['mtls']>['mode']>;

/** A set mode, or undefined for UNSET and an absent `mtls`: inherit from the parent. */
function setMode(mtls: { mode?: SpecMode } | undefined): MtlsMode | undefined {
  const mode = mtls?.mode;
  return mode === undefined || mode === 'UNSET' ? undefined : mode;
}

function hasSelector(pa: PeerAuthentication): boolean {
  return Object.keys(pa.spec.selector?.matchLabels ?? {}).length > 0;
}

/**
 * The oldest namespace-wide policy (no selector) of `namespace`: Istio ignores the younger ones
 * (`snapshot.peerAuthentications()` lists in creation order).
 */
function namespaceWide(snapshot: Snapshot, namespace: string): PeerAuthentication | undefined {
  return snapshot.peerAuthentications().find((pa) => pa.meta.namespace === namespace && !hasSelector(pa));
}

/** The mesh policy and, outside the root namespace, the namespace's: what a namespace inherits. */
function namespacePolicies(snapshot: Snapshot, namespace: string): { mesh?: PeerAuthentication; ns?: PeerAuthentication } {
  const root = snapshot.rootNamespace;
  return { mesh: namespaceWide(snapshot, root), ns: namespace === root ? undefined : namespaceWide(snapshot, namespace) };
}

/**
 * ComposePeerAuthentication for the workload in `namespace` with `labels`: the mesh policy (the
 * root namespace's, without a selector), overridden by the namespace's, overridden by the oldest
 * workload policy whose selector the labels satisfy, each only where it sets a mode; then that
 * workload policy's `portLevelMtls`. A policy with a selector in the root namespace applies to
 * nobody, as in Istio.
 */
export function workloadMtls(snapshot: Snapshot, namespace: string, labels: Readonly<Record<string, string>>): WorkloadMtls {
  const { mesh, ns } = namespacePolicies(snapshot, namespace);
  const workload = namespace === snapshot.rootNamespace
    ? undefined
    : snapshot.peerAuthentications().find((pa) => pa.meta.namespace === namespace && hasSelector(pa) && labelsMatch(pa.spec.selector?.matchLabels, labels));
  const mode = setMode(workload?.spec.mtls) ?? setMode(ns?.spec.mtls) ?? setMode(mesh?.spec.mtls) ?? DEFAULT_MTLS_MODE;
  const perPort = new Map<number, MtlsMode>();
  for (const [port, mtls] of Object.entries(workload?.spec.portLevelMtls ?? {})) perPort.set(Number(port), setMode(mtls) ?? mode);
  const sources = [mesh, ns, workload].flatMap((pa) => (pa ? [refOf(pa)] : []));
  return { mode, perPort, sources };
}

/** The mode on one target port (GetMutualTLSModeForPort). */
export function modeForPort(mtls: WorkloadMtls, port: number): MtlsMode {
  return mtls.perPort.get(port) ?? mtls.mode;
}

/**
 * The mode a client infers for a whole service from namespace and mesh policies alone
 * (BestEffortInferServiceMTLSMode with GetNamespaceMutualTLSMode): the service namespace's
 * policy (UNSET inheriting the mesh's), else the mesh's, else PERMISSIVE. Workload policies are
 * left to the endpoints (endpoint-tls-mode.ts), as in Istio.
 */
export function serviceMtlsMode(snapshot: Snapshot, namespace: string): MtlsMode {
  const { mesh, ns } = namespacePolicies(snapshot, namespace);
  return setMode(ns?.spec.mtls) ?? setMode(mesh?.spec.mtls) ?? DEFAULT_MTLS_MODE;
}
