// A DestinationRule's meaning, checked as Istio's ValidateDestinationRule
// (pkg/config/validation/validation.go) checks it. A subset without labels is valid, as in Istio:
// it selects every endpoint of the host.
import type { FieldReader } from '../parse/read';
import type { DestinationRuleSpec, Meta } from '../types';
import { checkSubsetName } from './destination';
import { checkAnnotations, checkExportTo, checkWorkloadSelector } from './metadata';
import { labelProblems, wildcardDomainProblem } from './names';
import { checkTrafficPolicy, type TrafficPolicy } from './traffic-policy';
import { checkDurations } from './values';

const POLICY_DURATIONS = [
  'connectionPool.tcp.connectTimeout',
  'connectionPool.tcp.idleTimeout',
  'connectionPool.tcp.maxConnectionDuration',
  'connectionPool.tcp.tcpKeepalive.time',
  'connectionPool.tcp.tcpKeepalive.interval',
  'connectionPool.http.idleTimeout',
  'connectionPool.http.http2KeepAlive.interval',
  'connectionPool.http.http2KeepAlive.timeout',
  'outlierDetection.interval',
  'outlierDetection.baseEjectionTime',
  'loadBalancer.consistentHash.httpCookie.ttl',
  'loadBalancer.warmup.duration',
  'loadBalancer.warmupDurationSecs',
  'retryBudget.budgetInterval',
];
const POLICIES = ['spec.trafficPolicy', 'spec.subsets[].trafficPolicy'].flatMap((p) => [p, `${p}.portLevelSettings[]`]);
// Every Duration field: Istio refuses a value that does not parse as one, wherever it is.
const DURATIONS = POLICIES.flatMap((policy) => POLICY_DURATIONS.map((f) => `${policy}.${f}`));

interface Spec {
  host?: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: ({ name?: string; labels?: Record<string, string>; trafficPolicy?: TrafficPolicy } | null)[];
  exportTo?: string[];
  workloadSelector?: { matchLabels?: Record<string, string> };
}

export function validateDestinationRule(typed: DestinationRuleSpec, read: FieldReader, meta: Meta): void {
  const spec = typed as Spec;
  checkAnnotations(read, meta);
  checkDurations({ spec }, DURATIONS, read);
  if (!spec.host) read.report('MAST2007', 'spec.host', 'host is empty');
  else {
    const problem = wildcardDomainProblem(spec.host);
    if (problem) read.report('MAST2015', 'spec.host', `${problem} (Istio's ValidateDestinationRule)`);
  }
  checkTrafficPolicy(read, spec.trafficPolicy, 'spec.trafficPolicy', meta.namespace);
  const names = new Set<string>();
  (spec.subsets ?? []).forEach((subset, i) => {
    const at = `spec.subsets[${i}]`;
    if (!subset) return read.report('MAST2008', at, 'subset may not be null');
    const name = subset.name ?? '';
    if (names.has(name)) read.report('MAST2009', `${at}.name`, `subset name ${name} is used twice`);
    names.add(name);
    checkSubsetName(read, name, `${at}.name`);
    for (const problem of labelProblems(subset.labels)) read.report('MAST2027', `${at}.labels`, problem);
    checkTrafficPolicy(read, subset.trafficPolicy, `${at}.trafficPolicy`, meta.namespace);
  });
  checkExportTo(read, spec.exportTo, meta.namespace, 'spec.exportTo', spec.workloadSelector !== undefined);
  checkWorkloadSelector(read, spec.workloadSelector, 'spec.workloadSelector');
  checkCredentialNames(read, spec);
}

/**
 * Where a client `credentialName` takes effect (Istio's buildUpstreamClusterTLSContext): on
 * gateways, and on sidecars only for a rule with a workloadSelector; any other sidecar sends
 * plaintext, which Istio's analyzer flags (IST0128, no server certificate verification). A
 * `configmap://` credential is not served by Mast (the system roots verify instead).
 */
function checkCredentialNames(read: FieldReader, spec: Spec): void {
  type WithTls = { tls?: { mode?: string; credentialName?: string } } | null | undefined;
  const levels = (p: TrafficPolicy | undefined, at: string): [WithTls, string][] => [
    [p, at],
    ...(p?.portLevelSettings ?? []).map((s, i): [WithTls, string] => [s, `${at}.portLevelSettings[${i}]`]),
  ];
  const policies = [...levels(spec.trafficPolicy, 'spec.trafficPolicy'), ...(spec.subsets ?? []).flatMap((s, i) => levels(s?.trafficPolicy, `spec.subsets[${i}].trafficPolicy`))];
  for (const [policy, at] of policies) {
    const tls = policy?.tls;
    if (!tls?.credentialName || (tls.mode !== 'SIMPLE' && tls.mode !== 'MUTUAL')) continue;
    const field = `${at}.tls.credentialName`;
    if (tls.credentialName.startsWith('configmap://')) read.report('MAST1008', field, 'configmap:// credentials are not served by Mast yet: the server is verified against the system roots instead');
    else if (!spec.workloadSelector) read.report('MAST2041', field, 'credentialName is used by gateways only, and by sidecars only when the DestinationRule has a workloadSelector; other sidecars send this traffic in plaintext (as Istio does)');
  }
}
