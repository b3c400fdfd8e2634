// Which security policies attach to a workload, as Istio's WorkloadPolicyMatcher decides for
// sidecars and gateways (pilot/pkg/model/policyattachment.go: ShouldAttachPolicy, isSelected;
// authorization.go ListAuthorizationPolicies and authentication.go getConfigsForWorkload for the
// namespaces looked in).
/** What selection reads of a proxy: the namespace and labels of its workload. */
export interface Workload {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

interface PolicyTargetRef {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The fields every targetable policy kind shares. */
export interface TargetablePolicy {
  meta: { namespace: string; name: string };
  spec: { selector?: { matchLabels?: Record<string, string> }; targetRef?: PolicyTargetRef; targetRefs?: PolicyTargetRef[] };
}

/** The label Gateway API deployments carry (label.IoK8sNetworkingGatewayGatewayName). */
const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

function isSelected(policy: TargetablePolicy, workload: Workload): boolean {
  const labels = policy.spec.selector?.matchLabels ?? {};
  return Object.entries(labels).every(([k, v]) => workload.labels[k] === v);
}

/**
 * ShouldAttachPolicy for a sidecar or gateway (not a waypoint). An ordinary workload takes the
 * policies whose selector its labels satisfy (no selector: all of the namespace's) and never one
 * with targetRefs, which are for gateways and waypoints. A Gateway API deployment (labelled
 * `gateway.networking.k8s.io/gateway-name`) takes those whose targetRef names its Gateway in its
 * namespace, and selector policies too (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY, on by default).
 */
export function attaches(policy: TargetablePolicy, workload: Workload): boolean {
  const gatewayName = workload.labels[GATEWAY_NAME_LABEL];
  const refs = policy.spec.targetRefs?.length ? policy.spec.targetRefs : policy.spec.targetRef ? [policy.spec.targetRef] : [];
  if (gatewayName === undefined || refs.length === 0) return refs.length === 0 && isSelected(policy, workload);
  return refs.some(
    (ref) =>
      policy.meta.namespace === workload.namespace &&
      (ref.namespace === undefined || ref.namespace === '' || ref.namespace === workload.namespace) &&
      (ref.group ?? '') === GATEWAY_API_GROUP &&
      ref.kind === 'Gateway' &&
      ref.name === gatewayName,
  );
}

/**
 * The policies of `all` in each of `namespaces` in turn (duplicates looked in once) that attach
 * to the workload, each namespace's in the order of `all`. Istio looks in the root namespace
 * first for AuthorizationPolicies, in the workload's first for RequestAuthentications.
 */
export function policiesFor<P extends TargetablePolicy>(all: readonly P[], workload: Workload, namespaces: readonly string[]): P[] {
  return [...new Set(namespaces)].flatMap((ns) => all.filter((p) => p.meta.namespace === ns && attaches(p, workload)));
}
