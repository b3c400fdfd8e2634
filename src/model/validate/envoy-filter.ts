// An EnvoyFilter's meaning, checked as Istio's ValidateEnvoyFilter
// (pkg/config/validation/envoyfilter/envoyfilter.go) checks it, and its patch values read strictly
// as the Envoy message each applyTo takes (src/model/envoy-proto-json.ts): Istio warns on an
// unknown field (its strict pass), but Mast's encoder refuses one, so here it is an error and the
// last good version of the EnvoyFilter keeps serving. Errors: MAST2063 (the patch's shape),
// MAST2064 (its value); warnings: MAST2066, MAST2067. Istio's standing warning that EnvoyFilter
// exposes internals is not repeated on every object (it would fill every log and status).
import { normaliseMessage } from '../envoy-proto-json';
import { childPath, type FieldReader } from '../parse/read';
import type { EnvoyFilterSpec, Meta } from '../types';
import { checkAnnotations } from './metadata';
import { VALUE_TYPES, type ApplyTo, type RawConfigPatch } from '../envoy-filter-spec';

const LISTENER_CLASS: ReadonlySet<string> = new Set(['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER']);
const ROUTE_CLASS: ReadonlySet<string> = new Set(['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE']);
const HCM_NAMES = new Set(['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager']);

/**
 * The operations Istio applies to each applyTo (listener_patch.go, rc_patch.go, cluster_patch.go,
 * extension_configuration_patch.go); INSERT_* where order means nothing is applied as ADD.
 */
const OPERATIONS: Record<ApplyTo, readonly string[]> = {
  LISTENER: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'],
  FILTER_CHAIN: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'],
  NETWORK_FILTER: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST', 'REPLACE'],
  HTTP_FILTER: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST', 'REPLACE'],
  ROUTE_CONFIGURATION: ['MERGE'],
  VIRTUAL_HOST: ['MERGE', 'ADD', 'REMOVE', 'REPLACE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'],
  HTTP_ROUTE: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'],
  CLUSTER: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'],
  EXTENSION_CONFIG: ['ADD', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'],
  LISTENER_FILTER: ['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST', 'REPLACE'],
};

/** Reports what Istio's ValidateEnvoyFilter finds in `typed`, each at its field, and each patch value Envoy would not read. */
export function validateEnvoyFilter(typed: EnvoyFilterSpec, read: FieldReader, meta: Meta): void {
  const spec = typed as { workloadSelector?: { labels?: Record<string, string> }; configPatches?: (RawConfigPatch | null)[]; targetRefs?: unknown[] };
  checkAnnotations(read, meta);
  if (spec.workloadSelector) {
    const labels = spec.workloadSelector.labels ?? {};
    if (Object.keys(labels).length === 0) read.report('MAST2041', 'spec.workloadSelector', 'Envoy filter: workload selector specified without labels, will be applied to all services in namespace (an Istio warning)');
    for (const [k, v] of Object.entries(labels)) {
      if (k === '') read.report('MAST2038', 'spec.workloadSelector.labels', `empty key is not supported in selector: "=${v}"`);
      if (k.includes('*') || v.includes('*')) read.report('MAST2038', childPath('spec.workloadSelector.labels', k), `wildcard is not supported in selector: "${k}=${v}"`);
    }
  }
  if (spec.workloadSelector && spec.targetRefs?.length) read.report('MAST2063', 'spec', 'only one of targetRefs or workloadSelector can be set');
  (spec.configPatches ?? []).forEach((cp, i) => checkPatch(read, cp, `spec.configPatches[${i}]`));
}

function checkPatch(read: FieldReader, cp: RawConfigPatch | null, at: string): void {
  if (!cp) return read.report('MAST2063', at, 'Envoy filter: null config patch');
  // The CRD's rules (x-kubernetes-validations), which the API server checks and file mode must too.
  const waypoint = (cp.match as { waypoint?: { portNumber?: number } } | undefined)?.waypoint;
  const isWaypoint = cp.match?.context === ('WAYPOINT' as string);
  if ((waypoint && !isWaypoint) || (isWaypoint && (cp.match?.listener || cp.match?.routeConfiguration || cp.match?.cluster))) {
    return read.report('MAST2063', `${at}.match`, 'only support waypointMatch when context is WAYPOINT');
  }
  if (waypoint?.portNumber !== undefined && (waypoint.portNumber < 1 || waypoint.portNumber > 65535)) return read.report('MAST2063', `${at}.match.waypoint.portNumber`, 'port must be between 1-65535');
  if (isWaypoint) return read.report('MAST2067', `${at}.match.context`, 'WAYPOINT patches apply to waypoint proxies, which Mast does not run; it applies to none');
  if (!cp.applyTo || (cp.applyTo as string) === 'INVALID') return read.report('MAST2063', `${at}.applyTo`, 'Envoy filter: missing applyTo');
  if (!cp.patch) return read.report('MAST2063', `${at}.patch`, 'Envoy filter: missing patch');
  const op = cp.patch.operation;
  if (!op || (op as string) === 'INVALID') return read.report('MAST2063', `${at}.patch.operation`, 'Envoy filter: missing patch operation');
  if (op !== 'REMOVE' && (cp.patch.value === undefined || cp.patch.value === null)) return read.report('MAST2063', `${at}.patch.value`, 'Envoy filter: missing patch value for non-remove operation');
  if ((op as string) === 'MERGE_AND_REPLACE_LIST') return read.report('MAST1008', `${at}.patch.operation`, 'MERGE_AND_REPLACE_LIST is not supported by Mast yet and the patch is ignored');
  if (!OPERATIONS[cp.applyTo]?.includes(op)) read.report('MAST2067', `${at}.patch.operation`, `${op} is not an operation Istio applies to ${cp.applyTo}; the patch does nothing`);
  const proxy = cp.match?.proxy;
  if (proxy?.proxyVersion) {
    try {
      new RegExp(proxy.proxyVersion, 'u');
    } catch (err) {
      return read.report('MAST2063', `${at}.match.proxy.proxyVersion`, `Envoy filter: invalid regex for proxy version, [${(err as Error).message}]`);
    }
  }
  if (proxy?.proxyVersion || Object.keys(proxy?.metadata ?? {}).length > 0) {
    read.report('MAST2066', `${at}.match.proxy`, 'Mast\'s proxies report no Istio version or Istio metadata, so this patch applies to no proxy (as Istio applies it to a proxy without them)');
  }
  if (!checkMatch(read, cp, at)) return;
  if (cp.patch.value === undefined || cp.patch.value === null) return;
  for (const problem of normaliseMessage(VALUE_TYPES[cp.applyTo], cp.patch.value).problems) {
    read.report('MAST2064', `${at}.patch.value${problem.path ? `.${problem.path}` : ''}`, `${problem.message} (the value of applyTo ${cp.applyTo} is ${VALUE_TYPES[cp.applyTo]})`);
  }
}

/** applyTo, match and patch line up; false when the patch is refused. */
function checkMatch(read: FieldReader, cp: RawConfigPatch, at: string): boolean {
  const match = cp.match;
  const applyTo = cp.applyTo as string;
  const objectTypes = match && (match.listener || match.routeConfiguration || match.cluster);
  if (!objectTypes) return true;
  if (LISTENER_CLASS.has(applyTo)) {
    if (!match.listener) return (read.report('MAST2063', `${at}.match`, 'Envoy filter: applyTo for listener class objects cannot have non listener match'), false);
    const filter = match.listener.filterChain?.filter;
    if (!filter) return true;
    if (applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN') read.report('MAST2067', `${at}.match.listener.filterChain.filter`, `Envoy filter: filter match has no effect when used with ${applyTo}`);
    if (!filter.name) return (read.report('MAST2063', `${at}.match.listener.filterChain.filter.name`, 'Envoy filter: filter match has no name to match on'), false);
    if (filter.subFilter) {
      if (applyTo !== 'HTTP_FILTER') return (read.report('MAST2063', `${at}.match.listener.filterChain.filter.subFilter`, 'Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only'), false);
      if (!HCM_NAMES.has(filter.name)) return (read.report('MAST2063', `${at}.match.listener.filterChain.filter.subFilter`, 'Envoy filter: subfilter match requires filter match with envoy.filters.network.http_connection_manager'), false);
      if (!filter.subFilter.name) return (read.report('MAST2063', `${at}.match.listener.filterChain.filter.subFilter.name`, 'Envoy filter: subfilter match has no name to match on'), false);
    }
    return true;
  }
  if (ROUTE_CLASS.has(applyTo) && !match.routeConfiguration) read.report('MAST2063', `${at}.match`, 'Envoy filter: applyTo for http route class objects cannot have non route configuration match');
  if (applyTo === 'CLUSTER' && !match.cluster) read.report('MAST2063', `${at}.match`, 'Envoy filter: applyTo for cluster class objects cannot have non cluster match');
  return true;
}
