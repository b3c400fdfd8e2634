// A Sidecar's meaning, checked as Istio's ValidateSidecar (pkg/config/validation/validation.go:
// ValidateSidecar, validateSidecarEgressPortBindAndCaptureMode, validateSidecarIngressPortAndBind,
// validateSidecarOutboundTrafficPolicy) checks it. Errors keep the last good version serving;
// Istio's warnings are MAST2041. Two namespace-wide Sidecars in one namespace need the mesh and
// are found in sidecar-conflicts.ts.
import { childPath, type FieldReader } from '../parse/read';
import type { Meta, SidecarSpec } from '../types';
import { checkAnnotations } from './metadata';
import { isDns1123Label, isIpAddress, portProblem, sidecarEgressHostProblems } from './names';

const UNIX_PREFIX = 'unix://';
/** protocol.Parse: the names Istio knows (any case); empty asks for sniffing. */
const PROTOCOLS = new Set(['tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql']);
const TLS_PROTOCOLS = new Set(['https', 'tls']);

interface SidecarPort {
  number?: number;
  protocol?: string;
  name?: string;
  targetPort?: number;
}

interface Listener {
  port?: SidecarPort;
  bind?: string;
  captureMode?: string;
  hosts?: string[];
  defaultEndpoint?: string;
  tls?: { mode?: string; subjectAltNames?: string[]; httpsRedirect?: boolean; credentialName?: string; credentialNames?: string[]; tlsCertificates?: unknown[] };
}

/**
 * Reports every problem Istio's ValidateSidecar finds in `typed` as MAST2045 (MAST2011 for a port
 * number out of range), each at its field; Istio's warnings as MAST2041.
 */
export function validateSidecar(typed: SidecarSpec, read: FieldReader, meta: Meta): void {
  const spec = typed as { workloadSelector?: { labels?: Record<string, string> }; egress?: (Listener | null)[]; ingress?: (Listener | null)[]; outboundTrafficPolicy?: unknown; inboundConnectionPool?: unknown };
  checkAnnotations(read, meta);
  checkSelector(read, spec.workloadSelector);
  const egress = spec.egress ?? [];
  const ingress = spec.ingress ?? [];
  if (egress.length === 0 && ingress.length === 0 && spec.outboundTrafficPolicy === undefined && spec.inboundConnectionPool === undefined) {
    read.report('MAST2045', 'spec', 'sidecar: empty configuration provided (no egress, ingress, outboundTrafficPolicy or inboundConnectionPool)');
  }
  const ingressPorts = new Set<number>();
  ingress.forEach((listener, i) => checkIngress(read, listener, `spec.ingress[${i}]`, ingressPorts));
  const egressPorts = new Set<number>();
  const sockets = new Set<string>();
  let catchAll = false;
  egress.forEach((listener, i) => {
    const at = `spec.egress[${i}]`;
    if (!listener) return read.report('MAST2045', at, 'egress listener may not be null');
    if (!listener.port) {
      if (catchAll) return read.report('MAST2045', at, 'sidecar: egress can have only one listener with empty port');
      if (i === egress.length - 1) catchAll = true;
      else read.report('MAST2045', at, 'sidecar: the egress listener with empty port should be the last listener in the list');
    } else {
      if ((listener.port.targetPort ?? 0) > 0) read.report('MAST2045', `${at}.port.targetPort`, 'targetPort has no impact on Sidecars');
      checkEgressPort(read, listener, at);
      const number = listener.port.number ?? 0;
      if (number === 0) {
        if (sockets.has(listener.bind ?? '')) read.report('MAST2045', `${at}.bind`, 'sidecar: unix domain socket values for listeners must be unique');
        sockets.add(listener.bind ?? '');
      } else {
        if (egressPorts.has(number)) read.report('MAST2045', `${at}.port.number`, 'sidecar: ports on IP bound listeners must be unique');
        egressPorts.add(number);
      }
    }
    checkEgressHosts(read, listener.hosts ?? [], meta.namespace, at);
  });
  checkOutboundTrafficPolicy(read, spec.outboundTrafficPolicy as { mode?: string; egressProxy?: unknown } | undefined);
}

/** ValidateAlphaWorkloadSelector: no empty keys, no `*`; no labels at all is a warning (the Sidecar then applies namespace-wide). */
function checkSelector(read: FieldReader, selector: { labels?: Record<string, string> } | undefined): void {
  if (!selector) return;
  const labels = selector.labels ?? {};
  for (const [k, v] of Object.entries(labels)) {
    if (k === '') read.report('MAST2038', 'spec.workloadSelector.labels', `empty key is not supported in selector: "=${v}"`);
    if (k.includes('*') || v.includes('*')) read.report('MAST2038', childPath('spec.workloadSelector.labels', k), `wildcard is not supported in selector: "${k}=${v}"`);
  }
  if (Object.keys(labels).length === 0) read.report('MAST2041', 'spec.workloadSelector', 'sidecar: workload selector specified without labels, will be applied to all services in namespace (an Istio warning)');
}

function checkPort(read: FieldReader, port: SidecarPort, at: string, allowSocket: boolean): void {
  if (port.name && !isDns1123Label(port.name)) read.report('MAST2045', `${at}.name`, `invalid port name: ${port.name}`);
  if (port.protocol && !PROTOCOLS.has(port.protocol.toLowerCase())) read.report('MAST2045', `${at}.protocol`, `unsupported protocol: ${port.protocol}`);
  const problem = allowSocket && (port.number ?? 0) === 0 ? undefined : portProblem(port.number ?? 0);
  if (problem) read.report('MAST2011', `${at}.number`, problem);
}

function checkIngress(read: FieldReader, listener: Listener | null, at: string, ports: Set<number>): void {
  if (!listener) return read.report('MAST2045', at, 'sidecar: ingress may not be null');
  if (!listener.port) return read.report('MAST2045', `${at}.port`, 'sidecar: port is required for ingress listeners');
  if ((listener.port.targetPort ?? 0) > 0) read.report('MAST2045', `${at}.port.targetPort`, 'targetPort has no impact on Sidecars');
  checkPort(read, listener.port, `${at}.port`, false);
  if (listener.bind && !isIpAddress(listener.bind)) read.report('MAST2045', `${at}.bind`, `${listener.bind} is not a valid IP`);
  const number = listener.port.number ?? 0;
  if (ports.has(number)) read.report('MAST2045', `${at}.port.number`, 'sidecar: ports on IP bound listeners must be unique');
  ports.add(number);
  if (listener.defaultEndpoint) checkDefaultEndpoint(read, listener.defaultEndpoint, `${at}.defaultEndpoint`);
  const tls = listener.tls;
  if (!tls) return;
  const bad = (field: string, message: string) => read.report('MAST2045', `${at}.tls${field}`, message);
  if (tls.subjectAltNames?.length) bad('.subjectAltNames', 'sidecar: subjectAltNames is not supported in ingress tls');
  if (tls.httpsRedirect) bad('.httpsRedirect', 'sidecar: httpsRedirect is not supported');
  if (tls.credentialName) bad('.credentialName', 'sidecar: credentialName is not currently supported');
  if (tls.credentialNames?.length) bad('.credentialNames', 'sidecar: credentialNames is not currently supported');
  if (tls.tlsCertificates?.length) bad('.tlsCertificates', 'sidecar: tls_certificates is not currently supported');
  if (tls.mode === 'ISTIO_MUTUAL' || tls.mode === 'AUTO_PASSTHROUGH') bad('.mode', `configuration is invalid: cannot set mode to ${tls.mode} in sidecar ingress tls`);
  if (!TLS_PROTOCOLS.has((listener.port.protocol ?? '').toLowerCase())) bad('', 'server cannot have TLS settings for non HTTPS/TLS ports');
}

/** `127.0.0.1:PORT`, `0.0.0.0:PORT`, `[::1]:PORT`, `[::]:PORT`, `:PORT` or `unix://PATH`. */
function checkDefaultEndpoint(read: FieldReader, endpoint: string, at: string): void {
  if (endpoint.startsWith(UNIX_PREFIX)) {
    const path = endpoint.slice(UNIX_PREFIX.length);
    if (path === '') read.report('MAST2045', at, 'unix address must not be empty');
    else if (!path.startsWith('@') && (!path.startsWith('/') || path.endsWith('/'))) read.report('MAST2045', at, `${path} is not an absolute path to a file`);
    return;
  }
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(endpoint);
  if (!match) return read.report('MAST2045', at, `address ${endpoint}: missing port in address`);
  const host = match[1] ?? match[2] ?? '';
  if (host !== '' && !['127.0.0.1', '0.0.0.0', '::1', '::'].includes(host)) {
    read.report('MAST2045', at, 'sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset');
  }
  const port = match[3] ?? '';
  if (!/^[+-]?\d+$/.test(port)) return read.report('MAST2045', at, `sidecar: defaultEndpoint port (${port}) is not a number`);
  const problem = portProblem(Number(port));
  if (problem) read.report('MAST2011', at, problem);
}

/** validateSidecarEgressPortBindAndCaptureMode. */
function checkEgressPort(read: FieldReader, listener: Listener, at: string): void {
  const port = listener.port!;
  const bind = listener.bind ?? '';
  checkPort(read, port, `${at}.port`, true);
  if ((port.number ?? 0) === 0) {
    if (!bind.startsWith(UNIX_PREFIX)) read.report('MAST2045', `${at}.bind`, 'sidecar: ports with 0 value must have a unix domain socket bind address');
    const mode = listener.captureMode ?? 'DEFAULT';
    if (mode !== 'DEFAULT' && mode !== 'NONE') read.report('MAST2045', `${at}.captureMode`, 'sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners');
  } else if (bind && !isIpAddress(bind)) {
    read.report('MAST2045', `${at}.bind`, `${bind} is not a valid IP`);
  }
}

/** Each host `ns/dnsName`; a repeated or shadowed host and `*\/*` beside others are Istio warnings. */
function checkEgressHosts(read: FieldReader, hosts: string[], namespace: string, at: string): void {
  if (hosts.length === 0) return read.report('MAST2045', `${at}.hosts`, 'sidecar: egress listener must contain at least one host');
  const byNamespace = new Map<string, Set<string>>();
  hosts.forEach((hostname, j) => {
    const field = `${at}.hosts[${j}]`;
    const slash = hostname.indexOf('/');
    if (slash >= 0 && !hostname.startsWith('~')) {
      const ns = hostname.slice(0, slash) === '.' ? namespace : hostname.slice(0, slash);
      const name = hostname.slice(slash + 1);
      const seen = byNamespace.get(ns) ?? new Set<string>();
      if (name !== '*' ? seen.has(name) || seen.has('*') : seen.size > 0) read.report('MAST2041', field, `duplicated egress host: ${hostname} (an Istio warning)`);
      seen.add(name);
      byNamespace.set(ns, seen);
    }
    for (const problem of sidecarEgressHostProblems(hostname)) read.report('MAST2045', field, problem);
  });
  if (byNamespace.get('*')?.has('*') && byNamespace.size !== 1) read.report('MAST2041', `${at}.hosts`, '`*/*` host select all resources, no other hosts can be added (an Istio warning)');
}

/** validateSidecarOutboundTrafficPolicy: ALLOW_ANY_DYNAMIC_DNS is mesh-wide only; an egressProxy needs ALLOW_ANY. */
function checkOutboundTrafficPolicy(read: FieldReader, policy: { mode?: string; egressProxy?: unknown } | undefined): void {
  if (!policy) return;
  if (policy.mode === 'ALLOW_ANY_DYNAMIC_DNS') return read.report('MAST2045', 'spec.outboundTrafficPolicy.mode', 'sidecar: ALLOW_ANY_DYNAMIC_DNS mode is only supported in MeshConfig, not in Sidecar resource');
  if (policy.egressProxy !== undefined && policy.mode !== 'ALLOW_ANY') {
    read.report('MAST2045', 'spec.outboundTrafficPolicy.egressProxy', 'sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode');
  }
}
