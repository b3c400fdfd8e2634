// An ALLOW rule that tests what only HTTP shows (methods, paths, hosts, request principals,
// request headers, JWT claims) cannot be expressed on a TCP filter chain: Istio's builder leaves
// the rule out there (pilot/pkg/security/authz/builder: an ALLOW rule whose generator errors on
// TCP is skipped), so the policy allows no connection through it. Istio warns only for the DENY
// case (validation); Mast also names the TCP ports where an ALLOW rule is lost, since a rule that
// silently allows nothing on one port of a workload is easy to miss (MAST3003).
import { diagnostic } from '../errors';
import { isHttp, portProtocol, type Protocol } from '../port-protocol';
import { refOf, type AuthorizationPolicy, type Diagnostic, type Pod, type Service } from '../types';
import { attaches } from '../workload-selection';

/** A port Envoy proxies as bytes (TCP or TLS): where Istio's TCP RBAC applies. */
const isTcp = (p: Protocol | undefined): boolean => p !== undefined && !isHttp(p);

type Rule = NonNullable<AuthorizationPolicy['spec']['rules']>[number];

const HTTP_SOURCE = ['requestPrincipals', 'notRequestPrincipals'] as const;
const HTTP_OPERATION = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;

/** The HTTP-only attributes a rule tests, by the names the user wrote. */
function httpAttributes(rule: Rule): string[] {
  const found = new Set<string>();
  for (const from of rule.from ?? []) for (const f of HTTP_SOURCE) if (from.source?.[f]?.length) found.add(f);
  for (const to of rule.to ?? []) for (const f of HTTP_OPERATION) if (to.operation?.[f]?.length) found.add(f);
  for (const when of rule.when ?? []) if (when.key.startsWith('request.headers') || when.key.startsWith('request.auth.')) found.add(when.key);
  return [...found];
}

export interface MeshView {
  pods: readonly Pod[];
  servicesSelecting(namespace: string, labels: Record<string, string>): readonly Service[];
  rootNamespace: string;
}

/** The TCP ports (`service:port`) of the Pods `policy` selects, in name order. */
function tcpPortsOf(policy: AuthorizationPolicy, mesh: MeshView): string[] {
  const ports = new Set<string>();
  for (const pod of mesh.pods) {
    const ns = pod.meta.namespace;
    if (policy.meta.namespace !== mesh.rootNamespace && policy.meta.namespace !== ns) continue;
    if (!attaches(policy, { namespace: ns, labels: pod.meta.labels })) continue;
    for (const service of mesh.servicesSelecting(ns, pod.meta.labels)) {
      for (const port of service.ports) if (isTcp(portProtocol(port))) ports.add(`${service.meta.name}.${ns}:${port.port}`);
    }
  }
  return [...ports].sort();
}

/** MAST3003 for each ALLOW rule testing HTTP attributes whose policy selects a workload with TCP ports. */
export function allowRulesLostOnTcp(policies: readonly AuthorizationPolicy[], mesh: MeshView): Diagnostic[] {
  return policies.flatMap((policy) => {
    if ((policy.spec.action ?? 'ALLOW') !== 'ALLOW') return [];
    const rules = (policy.spec.rules ?? []).map((rule, i) => ({ i, attributes: rule ? httpAttributes(rule) : [] })).filter((r) => r.attributes.length > 0);
    if (rules.length === 0) return [];
    const ports = tcpPortsOf(policy, mesh);
    if (ports.length === 0) return [];
    return rules.map(({ i, attributes }) =>
      diagnostic(
        'MAST3003',
        `the rule tests ${attributes.join(', ')}, which a TCP connection does not show: on the TCP ports of the workloads the policy selects (${ports.join(', ')}) it is left out, as Istio leaves it out, and allows no connection there`,
        { object: refOf(policy), origin: policy.origin, field: `spec.rules[${i}]` },
      ),
    );
  });
}
