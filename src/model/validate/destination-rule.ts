import type { FieldReader } from '../parse/read';
import type { DestinationRuleSpec } from '../types';
import { checkDurations } from './values';

const POLICY_DURATIONS = [
  'connectionPool.tcp.connectTimeout',
  'connectionPool.tcp.idleTimeout',
  'connectionPool.tcp.maxConnectionDuration',
  'connectionPool.tcp.tcpKeepalive.time',
  'connectionPool.tcp.tcpKeepalive.interval',
  'connectionPool.http.idleTimeout',
  'outlierDetection.interval',
  'outlierDetection.baseEjectionTime',
];
const POLICIES = ['spec.trafficPolicy', 'spec.subsets[].trafficPolicy'].flatMap((p) => [p, `${p}.portLevelSettings[]`]);
const DURATIONS = POLICIES.flatMap((policy) => POLICY_DURATIONS.map((f) => `${policy}.${f}`));

export function validateDestinationRule(spec: DestinationRuleSpec, read: FieldReader): void {
  if (!spec.host) read.report('MAST2007', 'spec.host', 'host is empty');
  const names = new Set<string>();
  (spec.subsets ?? []).forEach((subset, i) => {
    const at = `spec.subsets[${i}]`;
    if (!subset.name) read.report('MAST2008', `${at}.name`, 'subset has no name');
    else if (names.has(subset.name)) read.report('MAST2009', `${at}.name`, `subset name ${subset.name} is used twice`);
    else names.add(subset.name);
    if (!subset.labels || Object.keys(subset.labels).length === 0) read.report('MAST2010', `${at}.labels`, 'subset has no labels to select endpoints by');
  });
  checkDurations({ spec }, DURATIONS, read);
}
