// ServiceEntry and WorkloadEntry meaning, checked as Istio checks them
// (pkg/config/validation/validation.go: ValidateServiceEntry, ValidateWorkloadEntry,
// validateWorkloadEntry). Errors are MAST2046 (ServiceEntry) and MAST2047 (WorkloadEntry), each
// at its field, and keep the last good version serving; Istio's warnings are MAST2041.
import { childPath, type FieldReader } from '../parse/read';
import type { Meta, ServiceEntrySpec, WorkloadEntrySpec } from '../types';
import { checkAnnotations, checkExportTo } from './metadata';
import { fqdnProblem, isDns1123Label, isIpAddress, ipSubnetProblem, labelProblems, portProblem, wildcardDomainProblem } from './names';

/** protocol.Parse: the names Istio knows (any case); empty asks for sniffing. */
const PROTOCOLS = new Set(['tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql']);
const HTTP_PROTOCOLS = new Set(['http', 'http2', 'grpc', 'grpc-web', 'http_proxy']);
const TLS_PROTOCOLS = new Set(['https', 'tls']);
const UNIX_PREFIX = 'unix://';

type Endpoint = WorkloadEntrySpec;

/**
 * validateWorkloadEntry: an address (an IP, a unix socket, or with `allowNames` an FQDN; none only
 * with a network), ports named as DNS labels and in range (and, for a ServiceEntry's endpoint,
 * named after one of its ports), valid labels.
 */
function checkWorkloadEntry(read: FieldReader, code: 'MAST2046' | 'MAST2047', we: Endpoint, at: string, servicePorts: ReadonlySet<string> | undefined, allowNames: boolean): void {
  const field = (f: string): string => (at ? `${at}.${f}` : f);
  const address = we.address ?? '';
  if (address === '') {
    if (!we.network) return read.report(code, field('address'), 'address is required');
    read.report('MAST2041', field('address'), `address is unset with network ${JSON.stringify(we.network)} (an Istio warning)`);
  }
  const ports = Object.entries(we.ports ?? {});
  if (address.startsWith(UNIX_PREFIX)) {
    if (ports.length > 0) read.report(code, field('ports'), `unix endpoint ${address} must not include ports`);
    if (servicePorts && servicePorts.size !== 1) read.report(code, field('address'), 'exactly 1 service port required for unix endpoints');
  } else if (address !== '' && !isIpAddress(address)) {
    if (!allowNames) read.report(code, field('address'), `endpoint address ${JSON.stringify(address)} is not a valid IP address`);
    else if (fqdnProblem(address)) read.report(code, field('address'), `endpoint address ${JSON.stringify(address)} is not a valid FQDN or an IP address`);
  }
  for (const [name, port] of ports) {
    const at2 = childPath(field('ports'), name);
    if (servicePorts && !servicePorts.has(name)) read.report(code, at2, `endpoint port ${port} is not defined by the service entry`);
    if (!isDns1123Label(name)) read.report(code, at2, `invalid port name: ${name}`);
    const problem = portProblem(port);
    if (problem) read.report(code, at2, problem);
  }
  for (const problem of labelProblems(we.labels)) read.report(code, field('labels'), problem);
}

/** ValidateWorkloadEntry: an entry on its own may be addressed by name (it may serve a DNS ServiceEntry). */
export function validateWorkloadEntry(spec: WorkloadEntrySpec, read: FieldReader, meta: Meta): void {
  checkAnnotations(read, meta);
  checkWorkloadEntry(read, 'MAST2047', spec, 'spec', undefined, true);
}

/** ValidateServiceEntry, but for DYNAMIC_DNS, which Mast does not translate (MAST1008). */
export function validateServiceEntry(spec: ServiceEntrySpec, read: FieldReader, meta: Meta): void {
  const report = (field: string, message: string): void => read.report('MAST2046', field, message);
  checkAnnotations(read, meta);
  const selector = spec.workloadSelector;
  if (selector) {
    const labels = selector.labels ?? {};
    for (const [k, v] of Object.entries(labels)) {
      if (k === '' || k.includes('*') || v.includes('*')) read.report('MAST2038', childPath('spec.workloadSelector.labels', k), `wildcard or empty key is not supported in selector: "${k}=${v}"`);
    }
    if (Object.keys(labels).length === 0) read.report('MAST2041', 'spec.workloadSelector', 'service entry: workload selector specified without labels, will be applied to all services in namespace (an Istio warning)');
    if (spec.endpoints) report('spec.workloadSelector', 'only one of WorkloadSelector or Endpoints is allowed in Service Entry');
  }
  const hosts = spec.hosts ?? [];
  if (hosts.length === 0) report('spec.hosts', 'service entry must have at least one host');
  hosts.forEach((host, i) => {
    const at = `spec.hosts[${i}]`;
    if (host === '*') return report(at, `invalid host ${host}`);
    const problem = wildcardDomainProblem(host);
    if (problem) report(at, problem);
    if (spec.resolution !== 'DYNAMIC_DNS' && host.includes('*') && !(host === '*' || host.startsWith('*.'))) read.report('MAST2041', at, `partial wildcard ${JSON.stringify(host)} not allowed (an Istio warning)`);
  });
  const resolution = spec.resolution ?? 'NONE';
  let cidr = false;
  (spec.addresses ?? []).forEach((address, i) => {
    cidr ||= address.includes('/');
    const problem = ipSubnetProblem(address);
    if (problem) report(`spec.addresses[${i}]`, problem);
  });
  if (cidr && resolution !== 'NONE' && resolution !== 'STATIC') report('spec.addresses', 'CIDR addresses are allowed only for NONE/STATIC resolution types');

  const names = new Set<string>();
  const numbers = new Set<number>();
  (spec.ports ?? []).forEach((port, i) => {
    const at = `spec.ports[${i}]`;
    if (!port) return report(at, 'service entry port may not be null');
    if (names.has(port.name)) report(`${at}.name`, `service entry port name ${JSON.stringify(port.name)} already defined`);
    if (numbers.has(port.number)) report(`${at}.number`, `service entry port ${port.number} already defined`);
    names.add(port.name);
    numbers.add(port.number);
    if (port.targetPort) {
      const problem = portProblem(port.targetPort);
      if (problem) report(`${at}.targetPort`, problem);
    }
    if ((spec.addresses ?? []).length === 0 && (!port.protocol || port.protocol.toUpperCase() === 'TCP')) {
      read.report('MAST2041', at, 'addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled (an Istio warning)');
    }
    if (!isDns1123Label(port.name)) report(`${at}.name`, `invalid port name: ${port.name}`);
    if (port.protocol && !PROTOCOLS.has(port.protocol.toLowerCase())) report(`${at}.protocol`, `unsupported protocol: ${port.protocol}`);
    const problem = portProblem(port.number);
    if (problem) read.report('MAST2011', `${at}.number`, problem);
  });

  const endpoints = spec.endpoints ?? [];
  switch (resolution) {
    case 'NONE':
      if (endpoints.length > 0) report('spec.endpoints', 'no endpoints should be provided for resolution type none');
      if (selector) read.report('MAST2041', 'spec.workloadSelector', 'workloadSelector should not be set when resolution mode is NONE (an Istio warning)');
      break;
    case 'STATIC':
      endpoints.forEach((ep, i) => (ep ? checkWorkloadEntry(read, 'MAST2046', ep, `spec.endpoints[${i}]`, names, false) : report(`spec.endpoints[${i}]`, 'endpoint cannot be nil')));
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN':
      if (endpoints.length === 0) {
        const bad = hosts.findIndex((h) => fqdnProblem(h) !== undefined);
        if (bad >= 0) report(`spec.hosts[${bad}]`, `hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode ${resolution}, ${fqdnProblem(hosts[bad] as string)}`);
      }
      if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) report('spec.endpoints', `there must only be 0 or 1 endpoint for resolution mode ${resolution}`);
      endpoints.forEach((ep, i) => {
        const at = `spec.endpoints[${i}]`;
        if (!ep) return report(at, 'endpoint cannot be nil');
        if (!isIpAddress(ep.address ?? '') && fqdnProblem(ep.address ?? '')) report(`${at}.address`, `endpoint address ${JSON.stringify(ep.address ?? '')} is not a valid FQDN or an IP address`);
        for (const problem of labelProblems(ep.labels)) report(`${at}.labels`, problem);
        for (const [name, port] of Object.entries(ep.ports ?? {})) {
          const portAt = childPath(`${at}.ports`, name);
          if (!names.has(name)) report(portAt, `endpoint port ${port} is not defined by the service entry`);
          if (!isDns1123Label(name)) report(portAt, `invalid port name: ${name}`);
          const problem = portProblem(port);
          if (problem) report(portAt, problem);
        }
      });
      if ((spec.addresses ?? []).length > 0 && hosts.length > 1 && (spec.ports ?? []).some((p) => p && isTcp(p.protocol))) {
        read.report('MAST2041', 'spec.hosts', 'service entry can not have more than one host specified simultaneously with address and tcp port (an Istio warning)');
      }
      break;
    default:
      read.report('MAST1008', 'spec.resolution', `${resolution} is not supported by Mast yet; the hosts are served with resolution NONE`);
  }
  if (resolution !== 'NONE' && hosts.length > 1) {
    const i = (spec.ports ?? []).findIndex((p) => p && !HTTP_PROTOCOLS.has((p.protocol ?? '').toLowerCase()) && !TLS_PROTOCOLS.has((p.protocol ?? '').toLowerCase()));
    if (i >= 0) report(`spec.ports[${i}]`, 'multiple hosts provided with non-HTTP, non-TLS ports');
  }
  checkExportTo(read, spec.exportTo, meta.namespace, 'spec.exportTo');
}

/** protocol.IsTCP: everything that is neither HTTP nor UDP (TLS and the databases included); unset is not. */
function isTcp(protocol: string | undefined): boolean {
  const p = (protocol ?? '').toLowerCase();
  return p !== '' && PROTOCOLS.has(p) && !HTTP_PROTOCOLS.has(p) && p !== 'udp';
}
