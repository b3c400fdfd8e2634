// Which credentials' keys a sidecar may be sent. Istio's rule (ClientTLSSettings.credentialName,
// networking/v1alpha3/destination_rule.proto): a DestinationRule's `credentialName` applies at a
// sidecar only if the rule has a `workloadSelector`, and the Secret must be in the proxy's
// namespace (pilot/pkg/networking/core/cluster_tls.go buildUpstreamClusterTLSContext leaves any
// other sidecar's cluster without TLS; pilot/pkg/xds/sds.go filterAuthorizedResources reads only
// the proxy's namespace). Istio's SDS then sends the key to any proxy of the namespace whose service
// account may read its Secrets; Mast is stricter: a sidecar is sent a key only when a rule that
// selects it, in its own namespace, names that credential in mode MUTUAL (the one mode that
// presents a client certificate), so a key goes exactly where the sidecar's own clusters use it.
// src/xds/credentials.ts asks this for each sidecar's request; gateways keep their own rule.
import { labelsMatch } from '../../model/labels';
import type { DestinationRule } from '../../model/types';

/** The proxy a key would go to: its namespace and its workload's labels. */
export interface SidecarIdentity {
  namespace: string;
  labels?: Readonly<Record<string, string>>;
}

type Policy = NonNullable<DestinationRule['spec']['trafficPolicy']>;

/** Every ClientTLSSettings of a rule: its traffic policy's, its ports', its subsets' and their ports'. */
function tlsSettings(rule: DestinationRule): NonNullable<Policy['tls']>[] {
  const levels = (p: Policy | null | undefined): (Policy['tls'] | undefined)[] => [p?.tls, ...(p?.portLevelSettings ?? []).map((s) => s?.tls)];
  const all = [...levels(rule.spec.trafficPolicy), ...(rule.spec.subsets ?? []).flatMap((s) => levels(s?.trafficPolicy))];
  return all.filter((t): t is NonNullable<Policy['tls']> => Boolean(t));
}

/**
 * The credential names whose keys `proxy` (a sidecar) may be sent: those named by a `tls` in mode
 * MUTUAL of a DestinationRule in the proxy's namespace whose `workloadSelector` selects its
 * labels. A proxy without labels is selected by no rule. `configmap://` names hold no key.
 */
export function sidecarCredentialNames(rules: readonly DestinationRule[], proxy: SidecarIdentity): Set<string> {
  const names = new Set<string>();
  if (!proxy.labels) return names;
  for (const rule of rules) {
    const selector = rule.spec.workloadSelector;
    if (rule.meta.namespace !== proxy.namespace || !selector || !labelsMatch(selector.matchLabels ?? {}, { ...proxy.labels })) continue;
    for (const tls of tlsSettings(rule)) {
      if (tls.mode === 'MUTUAL' && tls.credentialName && !tls.credentialName.startsWith('configmap://')) names.add(tls.credentialName);
    }
  }
  return names;
}
