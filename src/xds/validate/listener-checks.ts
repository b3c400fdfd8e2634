// What Envoy refuses when it builds a Listener, beyond the proto rules: its addresses, the
// filter chain match table (source/common/listener_manager/filter_chain_manager_impl.cc), the
// order of terminal filters (source/common/config/utility.h, Utility::validateTerminalFilters,
// called from listener_impl.cc and the HttpConnectionManager's config.cc), and an inline route
// table (route-checks.ts).
import { isIP } from 'node:net';
import { checkIpLiteral, enumName } from './cluster-checks';
import { fieldPath, indexPath } from './format';
import { asciiLower, checkRouteConfiguration } from './route-checks';
import type { Violation } from './violation';
import { list, obj, type Obj } from './json';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** Filter factories by config type, and whether each ends its chain (isTerminalFilterByProto). */
const FILTERS: Record<string, { name: string; terminal: boolean }> = {
  [HCM]: { name: 'envoy.filters.network.http_connection_manager', terminal: true },
  'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy': { name: 'envoy.filters.network.tcp_proxy', terminal: true },
  'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router': { name: 'envoy.filters.http.router', terminal: true },
  'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault': { name: 'envoy.filters.http.fault', terminal: false },
  'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors': { name: 'envoy.filters.http.cors', terminal: false },
  'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC': { name: 'envoy.filters.http.rbac', terminal: false },
  'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication': { name: 'envoy.filters.http.jwt_authn', terminal: false },
  'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit': { name: 'envoy.filters.http.local_ratelimit', terminal: false },
};

/** Violations of Envoy's load-time checks in a Listener at `path`. */
export function checkListener(l: Obj, path: string, out: Violation[]): void {
  checkIpLiteral(l.address, fieldPath(path, 'address'), out);
  list(l.additional_addresses).forEach((a, i) => checkIpLiteral(a.address, fieldPath(indexPath(fieldPath(path, 'additional_addresses'), i), 'address'), out));
  const socket = obj(obj(l.address)?.socket_address);
  const where = socket ? `${String(socket.address ?? '')}:${String(socket.port_value ?? 0)}` : String(l.name ?? '');
  if (!l.filter_chain_matcher) filterChainMatches(list(l.filter_chains), where, fieldPath(path, 'filter_chains'), out);
  list(l.filter_chains).forEach((c, i) => filterChain(c, indexPath(fieldPath(path, 'filter_chains'), i), out));
  const fallback = obj(l.default_filter_chain);
  if (fallback) filterChain(fallback, fieldPath(path, 'default_filter_chain'), out);
}

function filterChain(chain: Obj, path: string, out: Violation[]): void {
  const filters = list(chain.filters);
  terminalOrder(filters, 'network', fieldPath(path, 'filters'), out);
  filters.forEach((f, i) => {
    const config = obj(f.typed_config);
    if (config?.['@type'] !== HCM) return;
    const p = fieldPath(indexPath(fieldPath(path, 'filters'), i), 'typed_config');
    terminalOrder(list(config.http_filters), 'http', fieldPath(p, 'http_filters'), out);
    const rc = obj(config.route_config);
    if (rc) checkRouteConfiguration(rc, fieldPath(p, 'route_config'), out);
  });
}

/** Utility::validateTerminalFilters: a terminal filter must be last, and the last must be terminal. */
function terminalOrder(filters: Obj[], chainType: 'network' | 'http', path: string, out: Violation[]): void {
  filters.forEach((f, i) => {
    const known = FILTERS[String(obj(f.typed_config)?.['@type'] ?? '')];
    if (!known) return;
    const last = i === filters.length - 1;
    const name = String(f.name ?? '');
    if (known.terminal && !last) {
      out.push({ path: indexPath(path, i), rule: 'listener.terminal_filter', message: `Error: terminal filter named ${name} of type ${known.name} must be the last filter in a ${chainType} filter chain.` });
    } else if (!known.terminal && last) {
      out.push({ path: indexPath(path, i), rule: 'listener.terminal_filter', message: `Error: non-terminal filter named ${name} of type ${known.name} is the last filter in a ${chainType} filter chain.` });
    }
  });
}

/**
 * FilterChainManagerImpl::addFilterChains: no two chains with equal FilterChainMatch
 * (verifyNoDuplicateMatchers), partial wildcards refused in server_names, CIDRs must parse, and no
 * two chains may claim the same leaf of the match table, whose keys are the cross product of the
 * match lists (addFilterChainForDestinationPorts .. addFilterChainForSourcePorts).
 */
function filterChainMatches(chains: Obj[], where: string, path: string, out: Violation[]): void {
  const equal = new Map<string, number>();
  const leaves = new Map<string, number>();
  chains.forEach((chain, i) => {
    const p = indexPath(path, i);
    const m = obj(chain.filter_chain_match) ?? {};
    const canonical = canonicalJson(m);
    const twin = equal.get(canonical);
    if (twin !== undefined) {
      out.push({ path: fieldPath(p, 'filter_chain_match'), rule: 'listener.filter_chain_match_unique', message: `error adding listener '${where}': filter chain '${String(chain.name ?? '')}' has the same matching rules defined as '${String(chains[twin]?.name ?? '')}'` });
      return;
    }
    equal.set(canonical, i);
    const keys = matchKeys(m, where, fieldPath(p, 'filter_chain_match'), out);
    if (!keys) return;
    for (const key of keys) {
      if (leaves.has(key)) {
        out.push({ path: fieldPath(p, 'filter_chain_match'), rule: 'listener.filter_chain_match_unique', message: `error adding listener '${where}': multiple filter chains with overlapping matching rules are defined` });
        return;
      }
      leaves.set(key, i);
    }
  });
}

function matchKeys(m: Obj, where: string, path: string, out: Violation[]): string[] | undefined {
  const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const cidrs = (field: string): string[] | undefined => {
    const ranges = list(m[field]);
    const keys: string[] = [];
    for (const [i, r] of ranges.entries()) {
      const key = cidrKey(String(r.address_prefix ?? ''), Number(r.prefix_len ?? 0));
      if (key === undefined) {
        out.push({ path: fieldPath(indexPath(fieldPath(path, field), i), 'address_prefix'), rule: 'address.ip_literal', message: `malformed IP address: ${String(r.address_prefix ?? '')}` });
        return undefined;
      }
      keys.push(key);
    }
    return keys.length ? keys : [''];
  };
  const names = strings(m.server_names).map(asciiLower);
  const partial = names.findIndex((n) => n.includes('*') && !n.startsWith('*.'));
  if (partial >= 0) {
    out.push({ path: indexPath(fieldPath(path, 'server_names'), partial), rule: 'listener.server_name_wildcard', message: `error adding listener '${where}': partial wildcards are not supported in "server_names"` });
    return undefined;
  }
  const dst = cidrs('prefix_ranges');
  const direct = cidrs('direct_source_prefix_ranges');
  const src = cidrs('source_prefix_ranges');
  if (!dst || !direct || !src) return undefined;
  const dims: string[][] = [
    [String(m.destination_port ?? 0)],
    dst,
    names.length ? names.map((n) => (n.startsWith('*.') ? n.slice(1) : n)) : [''],
    [String(m.transport_protocol ?? '')],
    strings(m.application_protocols).length ? strings(m.application_protocols) : [''],
    direct,
    [enumName('envoy.config.listener.v3.FilterChainMatch.ConnectionSourceType', m.source_type)],
    src,
    Array.isArray(m.source_ports) && m.source_ports.length ? m.source_ports.map(String) : ['0'],
  ];
  return dims.reduce<string[]>((acc, dim) => acc.flatMap((a) => dim.map((d) => `${a}|${d}`)), ['']);
}

/** Network::Address::CidrRange::create(...).asString(): the masked address and the (clamped) length. */
function cidrKey(address: string, prefixLen: number): string | undefined {
  const family = isIP(address);
  if (family === 0) return undefined;
  const bits = family === 4 ? 32 : 128;
  const len = Math.min(Math.max(prefixLen, 0), bits);
  const value = family === 4 ? address.split('.').reduce((acc, o) => (acc << 8n) | BigInt(o), 0n) : ipv6Value(address);
  const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
  return `${family}:${(value & mask).toString(16)}/${len}`;
}

function ipv6Value(address: string): bigint {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = (v4[1] as string).split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -(v4[1] as string).length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Obj)[k] !== undefined && (v as Obj)[k] !== null).map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Obj)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
