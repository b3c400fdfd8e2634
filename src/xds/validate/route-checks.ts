// What Envoy refuses when it builds a RouteConfiguration (from RDS, or inline in an
// HttpConnectionManager) beyond the proto rules. Each check names the function it mirrors in
// source/common/router/config_impl.cc (commit read: Envoy main as of 1.36) unless said otherwise.
import { durationNanos, fieldPath, indexPath } from './format';
import { headerFormatProblem } from './header-format';
import type { Violation } from './violation';
import { list, obj, type Obj } from './json';

const MAX_DIRECT_RESPONSE_BODY = 4096; // DEFAULT_MAX_DIRECT_RESPONSE_BODY_SIZE_BYTES
const UINT32_MAX = 4294967295;

/** absl::AsciiStrToLower, as Http::LowerCaseString lowers: ASCII only. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (c) => c.toLowerCase());
}

/** Violations of Envoy's load-time checks in a RouteConfiguration at `path`. */
export function checkRouteConfiguration(rc: Obj, path: string, out: Violation[]): void {
  const name = typeof rc.name === 'string' ? rc.name : '';
  headerMutations(rc, path, out);
  mirrorPolicies(rc, path, out);
  const maxBody = typeof rc.max_direct_response_body_size_bytes === 'number' ? rc.max_direct_response_body_size_bytes : MAX_DIRECT_RESPONSE_BODY;
  list(rc.virtual_hosts).forEach((vh, i) => virtualHost(vh, indexPath(fieldPath(path, 'virtual_hosts'), i), maxBody, out));
  domains(rc, name, path, out);
}

/**
 * RouteMatcher::RouteMatcher: every domain, lower-cased, once per route table: `*` at most once,
 * `*suffix` and `prefix*` wildcards each unique among their kind, the rest exactly. A `*` anywhere
 * else is not a wildcard and is compared as written.
 */
function domains(rc: Obj, name: string, path: string, out: Violation[]): void {
  const seen = new Set<string>();
  let star = false;
  list(rc.virtual_hosts).forEach((vh, i) => {
    const domainList = Array.isArray(vh.domains) ? vh.domains : [];
    domainList.forEach((d: unknown, j: number) => {
      if (typeof d !== 'string') return;
      const domain = asciiLower(d);
      const p = indexPath(fieldPath(indexPath(fieldPath(path, 'virtual_hosts'), i), 'domains'), j);
      if (domain === '*') {
        if (star) out.push({ path: p, rule: 'route.domain_single_wildcard', message: `Only a single wildcard domain is permitted in route ${name}` });
        star = true;
        return;
      }
      const key = domain.startsWith('*') ? `suffix:${domain.slice(1)}` : domain.endsWith('*') ? `prefix:${domain.slice(0, -1)}` : `exact:${domain}`;
      if (seen.has(key)) {
        out.push({ path: p, rule: 'route.domain_unique', message: `Only unique values for domains are permitted. Duplicate entry of domain ${domain} in route ${name}` });
      }
      seen.add(key);
    });
  });
}

function virtualHost(vh: Obj, path: string, maxBody: number, out: Violation[]): void {
  headerMutations(vh, path, out);
  mirrorPolicies(vh, path, out);
  retryBackOff(obj(vh.retry_policy), fieldPath(path, 'retry_policy'), out);
  // CommonVirtualHostImpl::CommonVirtualHostImpl
  if (vh.matcher && list(vh.routes).length > 0) out.push({ path, rule: 'route.matcher_and_routes', message: 'cannot set both matcher and routes on virtual host' });
  list(vh.virtual_clusters).forEach((vc, i) => {
    if (list(vc.headers).length === 0) out.push({ path: indexPath(fieldPath(path, 'virtual_clusters'), i), rule: 'route.virtual_cluster_headers', message: "virtual clusters must define 'headers'" });
  });
  list(vh.routes).forEach((r, i) => route(r, indexPath(fieldPath(path, 'routes'), i), maxBody, out));
}

/** RouteEntryImplBase::RouteEntryImplBase. */
function route(r: Obj, path: string, maxBody: number, out: Violation[]): void {
  headerMutations(r, path, out);
  const action = obj(r.route);
  if (action) routeAction(action, r, fieldPath(path, 'route'), out);
  const body = obj(obj(r.direct_response)?.body);
  if (body) {
    // Config::DataSource::DataSourceProvider::create with the table's size limit.
    const size = typeof body.inline_string === 'string' ? Buffer.byteLength(body.inline_string, 'utf8') : typeof body.inline_bytes === 'string' ? Buffer.from(body.inline_bytes, 'base64').length : 0;
    if (size > maxBody) out.push({ path: fieldPath(fieldPath(path, 'direct_response'), 'body'), rule: 'route.direct_response_body_size', message: `response body size is ${size} bytes; maximum is ${maxBody}` });
  }
}

function routeAction(a: Obj, r: Obj, path: string, out: Violation[]): void {
  const rewrites = [typeof a.prefix_rewrite === 'string' && a.prefix_rewrite !== '', a.regex_rewrite !== undefined && a.regex_rewrite !== null, a.path_rewrite_policy !== undefined && a.path_rewrite_policy !== null];
  if (rewrites.filter(Boolean).length > 1) {
    out.push({ path, rule: 'route.single_rewrite', message: 'Specify only one of prefix_rewrite, regex_rewrite or path_rewrite_policy' });
  }
  mirrorPolicies(a, path, out);
  retryBackOff(obj(a.retry_policy), fieldPath(path, 'retry_policy'), out);
  upgrades(a, path, out);
  const wc = obj(a.weighted_clusters);
  if (wc) weightedClusters(wc, typeof r.name === 'string' ? r.name : '', fieldPath(path, 'weighted_clusters'), out);
}

/** source/common/router/weighted_cluster_specifier.cc: WeightedClusterSpecifierPlugin and its entries. */
function weightedClusters(wc: Obj, routeName: string, path: string, out: Violation[]): void {
  let total = 0;
  list(wc.clusters).forEach((c, i) => {
    const p = indexPath(fieldPath(path, 'clusters'), i);
    const hasName = typeof c.name === 'string' && c.name !== '';
    const hasHeader = typeof c.cluster_header === 'string' && c.cluster_header !== '';
    if (hasName === hasHeader) {
      out.push({ path: p, rule: 'route.weighted_cluster_specifier', message: hasName ? 'Only one of name or cluster_header can be specified' : 'At least one of name or cluster_header need to be specified' });
    }
    // PROTOBUF_GET_WRAPPED_REQUIRED(cluster, weight)
    if (c.weight === undefined || c.weight === null) out.push({ path: fieldPath(p, 'weight'), rule: 'route.weighted_cluster_weight', message: `Field 'weight' is missing in: name: "${String(c.name ?? '')}"` });
    else total += Number(c.weight);
    headerMutations(c, p, out);
  });
  if (total > UINT32_MAX) out.push({ path, rule: 'route.weighted_clusters_total', message: `The sum of weights of all weighted clusters of route ${routeName} exceeds ${UINT32_MAX}` });
  else if (total === 0) out.push({ path, rule: 'route.weighted_clusters_total', message: 'Sum of weights in the weighted_cluster must be greater than 0.' });
}

/** validateMirrorClusterSpecifier, for route config, virtual host and route request_mirror_policies. */
function mirrorPolicies(holder: Obj, path: string, out: Violation[]): void {
  list(holder.request_mirror_policies).forEach((m, i) => {
    const cluster = typeof m.cluster === 'string' ? m.cluster : '';
    const header = typeof m.cluster_header === 'string' ? m.cluster_header : '';
    const p = indexPath(fieldPath(path, 'request_mirror_policies'), i);
    if (cluster && header) out.push({ path: p, rule: 'route.mirror_cluster', message: `Only one of cluster '${cluster}' or cluster_header '${header}' in request mirror policy can be specified` });
    else if (!cluster && !header) out.push({ path: p, rule: 'route.mirror_cluster', message: 'Exactly one of cluster or cluster_header in request mirror policy need to be specified' });
  });
}

/** RetryPolicyImpl::RetryPolicyImpl: both intervals in whole milliseconds, at least 1. */
function retryBackOff(policy: Obj | undefined, path: string, out: Violation[]): void {
  const backOff = obj(policy?.retry_back_off);
  if (!backOff) return;
  const ms = (v: unknown) => {
    const n = durationNanos(v);
    return n === undefined ? undefined : Math.max(1, Number(n / 1_000_000n));
  };
  const base = ms(backOff.base_interval);
  const max = ms(backOff.max_interval);
  if (base !== undefined && max !== undefined && max < base) {
    out.push({ path: fieldPath(path, 'retry_back_off'), rule: 'route.retry_back_off', message: 'retry_policy.max_interval must greater than or equal to the base_interval' });
  }
}

function upgrades(a: Obj, path: string, out: Violation[]): void {
  const seen = new Set<string>();
  list(a.upgrade_configs).forEach((u, i) => {
    const type = typeof u.upgrade_type === 'string' ? u.upgrade_type : '';
    const p = indexPath(fieldPath(path, 'upgrade_configs'), i);
    if (seen.has(asciiLower(type))) out.push({ path: p, rule: 'route.upgrade_unique', message: `Duplicate upgrade ${type}` });
    seen.add(asciiLower(type));
    if (u.connect_config && !['connect', 'connect-udp'].includes(asciiLower(type))) {
      out.push({ path: p, rule: 'route.upgrade_connect_config', message: `Non-CONNECT upgrade type ${type} has ConnectConfig` });
    }
  });
}

/**
 * source/common/router/header_parser.cc, HeaderParser::configure: added headers must be modifiable
 * and removed ones removable (Http::HeaderUtility::isModifiableHeader / isRemovableHeader: not
 * `:`-prefixed, not `host` in any case), and added values must parse as substitution formats.
 */
function headerMutations(holder: Obj, path: string, out: Violation[]): void {
  for (const field of ['request_headers_to_add', 'response_headers_to_add']) {
    list(holder[field]).forEach((option, i) => {
      const header = obj(option.header);
      if (!header) return;
      const p = fieldPath(indexPath(fieldPath(path, field), i), 'header');
      if (typeof header.key === 'string' && !modifiable(header.key)) out.push({ path: fieldPath(p, 'key'), rule: 'route.header_modifiable', message: ':-prefixed or host headers may not be modified' });
      const problem = typeof header.value === 'string' ? headerFormatProblem(header.value) : undefined;
      if (problem) out.push({ path: fieldPath(p, 'value'), rule: 'route.header_format', message: problem });
    });
  }
  for (const field of ['request_headers_to_remove', 'response_headers_to_remove']) {
    const names = Array.isArray(holder[field]) ? (holder[field] as unknown[]) : [];
    names.forEach((name, i) => {
      if (typeof name === 'string' && !modifiable(name)) out.push({ path: indexPath(fieldPath(path, field), i), rule: 'route.header_removable', message: ':-prefixed or host headers may not be removed' });
    });
  }
}

function modifiable(name: string): boolean {
  return !name.startsWith(':') && asciiLower(name) !== 'host';
}
