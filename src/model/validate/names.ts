// Istio's rules for names, hosts and labels, as its validation applies them. Each function returns
// Istio's reason for refusing, or undefined when Istio accepts. Sources (istio.io/istio at the
// pinned revision): pkg/config/labels/instance.go (IsDNS1123Label, IsWildcardDNS1123Label,
// Instance.Validate) and pkg/config/validation/agent/validation.go (CheckDNS1123Preconditions,
// ValidateDNS1123Labels, ValidateFQDN, ValidateWildcardDomain,
// ValidateWildcardDomainForVirtualServiceBoundToGateway, ValidateNamespaceSlashWildcardHostname,
// ValidateIPAddress, ValidateIPSubnet, ValidatePort).
import { isIP } from 'node:net';

const DNS1123_LABEL = '[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?';
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);
const WILDCARD_PREFIX_RE = new RegExp(`^(\\*|(\\*|\\*-)?${DNS1123_LABEL})$`);
const QUALIFIED_NAME = '(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const TAG_RE = new RegExp(`^(${DNS1123_LABEL}(?:\\.${DNS1123_LABEL})*/)?(${QUALIFIED_NAME})$`);
const LABEL_VALUE_RE = new RegExp(`^(${QUALIFIED_NAME})?$`);

/** Istio measures names as Go does, in UTF-8 bytes. */
function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** labels.IsDNS1123Label: at most 63 characters of letters (either case), digits and inner dashes. */
export function isDns1123Label(value: string): boolean {
  return byteLength(value) <= 63 && DNS1123_LABEL_RE.test(value);
}

/** labels.IsWildcardDNS1123Label: a DNS-1123 label, `*`, or one led by `*` or `*-`. */
function isWildcardDns1123Label(value: string): boolean {
  return byteLength(value) <= 63 && WILDCARD_PREFIX_RE.test(value);
}

function dns1123Preconditions(name: string): string | undefined {
  if (byteLength(name) > 255) return `domain name ${JSON.stringify(name)} too long (max 255)`;
  if (name.length === 0) return 'empty domain name not allowed';
  return undefined;
}

/** agent.ValidateDNS1123Labels: every dot-separated label valid, the last not all digits (a trailing dot is allowed). */
function dns1123LabelsProblem(domain: string): string | undefined {
  const parts = domain.split('.');
  const top = parts[parts.length - 1] as string;
  if (/^[+-]?\d+$/.test(top)) return `domain name ${JSON.stringify(domain)} invalid (top level domain ${JSON.stringify(top)} cannot be all-numeric)`;
  for (const [i, label] of parts.entries()) {
    if (i === parts.length - 1 && label === '') return undefined;
    if (!isDns1123Label(label)) return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(label)} invalid)`;
  }
  return undefined;
}

/** agent.ValidateFQDN. */
export function fqdnProblem(fqdn: string): string | undefined {
  return dns1123Preconditions(fqdn) ?? dns1123LabelsProblem(fqdn);
}

/** agent.ValidateWildcardDomain: a DNS name whose first label may be a wildcard (`*`, `*.example.com`, `*-svc.ns`). */
export function wildcardDomainProblem(domain: string): string | undefined {
  const pre = dns1123Preconditions(domain);
  if (pre) return pre;
  const dot = domain.indexOf('.');
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!isWildcardDns1123Label(first)) return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(first)} invalid)`;
  return dot < 0 ? undefined : dns1123LabelsProblem(domain.slice(dot + 1));
}

/**
 * agent.ValidateWildcardDomainForVirtualServiceBoundToGateway: as wildcardDomainProblem, but an SNI
 * host may also be the name Istio's AUTO_PASSTHROUGH generates, `outbound_.80_._.svc.example.com`.
 */
export function gatewayBoundDomainProblem(sni: boolean, domain: string): string | undefined {
  const pre = dns1123Preconditions(domain);
  if (pre) return pre;
  if (sni && domain.startsWith('outbound_')) {
    const parts = domain.split('_');
    const format = 'outbound_.<PORT>_._.<HOSTNAME>';
    if (parts.length < 4) return `domain name ${domain} invalid, should follow '${format}' format`;
    const trim = (s: string): string => s.replace(/^\.+|\.+$/g, '');
    const [direction, port, hostname] = [parts[0] as string, trim(parts[1] as string), trim(parts[3] as string)];
    if (direction !== 'outbound') return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(direction)} invalid)`;
    if (!/[0-9]/.test(port)) return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(port)} invalid). should follow ${format} format`;
    if (!/[a-zA-Z]/.test(hostname)) return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(hostname)} invalid). should follow ${format} format`;
    return undefined;
  }
  return wildcardDomainProblem(domain);
}

/** netip.ParseAddr as Istio uses it (netutil.IsValidIPAddress, agent.ValidateIPAddress): an IPv4 or IPv6 address, IPv6 with an optional zone. */
export function isIpAddress(addr: string): boolean {
  const [ip, zone] = addr.split('%', 2);
  if (zone !== undefined) return zone !== '' && isIP(ip as string) === 6;
  return isIP(addr) !== 0;
}

/** agent.ValidateIPSubnet: an address, or a CIDR block whose prefix fits it (`10.0.0.0/8`, `2001:1::1/64`). */
export function ipSubnetProblem(subnet: string): string | undefined {
  if (subnet.split('/').length === 2) {
    const [ip, bits] = subnet.split('/') as [string, string];
    const version = isIP(ip);
    const ok = version !== 0 && /^(0|[1-9]\d*)$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
    return ok ? undefined : `${subnet} is not a valid CIDR block`;
  }
  return isIpAddress(subnet) ? undefined : `${subnet} is not a valid IP`;
}

/** agent.ValidatePort. */
export function portProblem(port: number): string | undefined {
  return port >= 1 && port <= 65535 ? undefined : `port number ${port} must be in the range 1..65535`;
}

/** agent.validateSidecarOrGatewayHostnamePart: a dotted name or `*`, a wildcard only as a whole first label, or (for a Gateway) an IP. */
function hostnamePartProblems(hostname: string, isGateway = true): string[] {
  const problems: string[] = [];
  if (hostname !== '*' && !hostname.includes('.')) problems.push('short names (non FQDN) are not allowed');
  const domain = wildcardDomainProblem(hostname);
  if (domain && (!isGateway || !isIpAddress(hostname))) problems.push(domain);
  if (hostname.includes('*') && hostname.length !== 1 && !hostname.startsWith('*.')) problems.push(`partial wildcard ${JSON.stringify(hostname)} not allowed`);
  return problems;
}

/**
 * agent.ValidateNamespaceSlashWildcardHostname(hostname, isGateway=true): a Gateway server host,
 * `ns/host` (namespace `*`, `.` or a DNS label; `~` only for Gateway API gateways) or plain `host`.
 */
export function gatewayServerHostProblems(hostname: string, gatewaySemantics: boolean): string[] {
  const slash = hostname.indexOf('/');
  if (slash < 0) return hostnamePartProblems(hostname);
  const [ns, name] = [hostname.slice(0, slash), hostname.slice(slash + 1)];
  const problems: string[] = [];
  if (!ns || !name) problems.push('config namespace and dnsName in host entry cannot be empty');
  if (ns !== '*' && ns !== '.' && (ns !== '~' || !gatewaySemantics) && !isDns1123Label(ns)) problems.push(`invalid namespace value ${JSON.stringify(ns)} in gateway`);
  return [...problems, ...hostnamePartProblems(name)];
}

/**
 * agent.ValidateNamespaceSlashWildcardHostname(hostname, isGateway=false): a Sidecar egress host
 * must be `ns/host`, the namespace `*`, `.` or a DNS label, optionally `~`-prefixed (excluded).
 */
export function sidecarEgressHostProblems(hostname: string): string[] {
  const slash = hostname.indexOf('/');
  if (slash < 0) return ['host must be of form namespace/dnsName'];
  const [ns, name] = [hostname.slice(0, slash), hostname.slice(slash + 1)];
  const problems: string[] = [];
  if (!ns || !name) problems.push('config namespace and dnsName in host entry cannot be empty');
  const bare = ns.startsWith('~') ? ns.slice(1) : ns;
  if (bare !== '' && bare !== '*' && bare !== '.' && !isDns1123Label(bare)) problems.push(`invalid namespace value ${JSON.stringify(ns)} in sidecar`);
  return [...problems, ...hostnamePartProblems(name, false)];
}

/** labels.Instance.Validate: each key an optional DNS-name prefix and `/` plus a qualified name, each value a qualified name or empty. */
export function labelProblems(labels: Record<string, unknown> | undefined): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    const match = TAG_RE.exec(key);
    if (!match) problems.push(`invalid tag key: ${JSON.stringify(key)}`);
    else if (match[1] && byteLength(match[1]) - 1 > 253) problems.push(`invalid tag key: ${JSON.stringify(key)} (DNS prefix is too long)`);
    else if (byteLength(match[2] as string) > 63) problems.push(`invalid tag key: ${JSON.stringify(key)} (name is too long)`);
    if (typeof value !== 'string' || !LABEL_VALUE_RE.test(value)) problems.push(`invalid tag value: ${JSON.stringify(value)}`);
  }
  return problems;
}
