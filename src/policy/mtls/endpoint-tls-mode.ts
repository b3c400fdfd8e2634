// Whether a client sends mutual TLS to one endpoint, which auto-mTLS reads from the endpoint's
// metadata (pilot/pkg/xds/endpoints/mtls_checker.go checkMtlsEnabled, tlsModeForDestinationRule;
// endpoint_builder.go buildEnvoyLbEndpoint; util.go AppendLbEndpointMetadata).
import type { DestinationRule, ResolvedEndpoint, Snapshot } from '../../model/types';
import { ISTIO_TLS_MODE, TRANSPORT_SOCKET_MATCH_KEY } from './cluster-tls';
import { modeForPort, workloadMtls } from './peer-authentication';

/** The Pod label Istio's injector sets on workloads that run a sidecar (label.SecurityTlsMode). */
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

type PolicyTls = { tls?: { mode?: string }; portLevelSettings?: { port?: { number?: number }; tls?: { mode?: string } }[] };

/** trafficPolicyTLSModeForPort: the policy's `tls` mode, or its port-level one for `port` (a `tls` without a mode is DISABLE). */
function policyMode(policy: PolicyTls | undefined, port: number): string | undefined {
  const portLevel = policy?.portLevelSettings?.find((s) => s.port?.number === port && s.tls);
  const tls = portLevel?.tls ?? policy?.tls;
  return tls ? (tls.mode ?? 'DISABLE') : undefined;
}

/** tlsModeForDestinationRule: the subset's mode for the service port, else the rule's. */
function ruleMode(rule: DestinationRule | undefined, subset: string | undefined, port: number): string | undefined {
  if (!rule) return undefined;
  const top = rule.spec.trafficPolicy as PolicyTls | undefined;
  if (subset === undefined) return policyMode(top, port);
  const own = rule.spec.subsets?.find((s) => s.name === subset);
  if (!own) return undefined;
  return policyMode(own.trafficPolicy as PolicyTls | undefined, port) ?? policyMode(top, port);
}

export interface EndpointTlsInput {
  rule: DestinationRule | undefined;
  subset: string | undefined;
  /** The service port the cluster is for. */
  servicePort: number;
  /** The service's namespace: its endpoints' workloads live there. */
  namespace: string;
}

/**
 * checkMtlsEnabled: a DestinationRule mode for the cluster decides (ISTIO_MUTUAL yes, any other
 * no); otherwise the endpoint must run a sidecar (its Pod labelled `security.istio.io/tlsMode:
 * istio`, or a WorkloadEntry so labelled or with a service account: ResolvedEndpoint.tlsMode)
 * whose PeerAuthentication does not DISABLE mTLS on the endpoint's port.
 */
export function endpointSpeaksMtls(snapshot: Snapshot, c: EndpointTlsInput, ep: ResolvedEndpoint): boolean {
  const mode = ruleMode(c.rule, c.subset, c.servicePort);
  if (mode !== undefined) return mode === 'ISTIO_MUTUAL';
  if ((ep.tlsMode ?? ep.labels[TLS_MODE_LABEL]) !== ISTIO_TLS_MODE.tlsMode) return false;
  return modeForPort(workloadMtls(snapshot, c.namespace, ep.labels), ep.port) !== 'DISABLE';
}

/** The filter metadata entry that selects a cluster's `tlsMode-istio` transport socket. */
export function mtlsEndpointMetadata(): { [TRANSPORT_SOCKET_MATCH_KEY]: typeof ISTIO_TLS_MODE } {
  return { [TRANSPORT_SOCKET_MATCH_KEY]: ISTIO_TLS_MODE };
}
