import type { MeshService } from '../../model/types';

function isIpAddress(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || s.includes(':');
}

/**
 * The Host header values that mean a service port to an app in `proxyNamespace`, as Istio's
 * generateVirtualHostDomains lists them: the FQDN, the short name (only from the service's own
 * namespace, where DNS search paths make it resolve), `name.ns`, `name.ns.svc`, and the cluster
 * IP; each bare and with `:port`.
 */
export function serviceDomains(service: MeshService, port: number, proxyNamespace: string): string[] {
  // A ServiceEntry host is named by itself and its addresses alone (CIDRs name no Host header).
  if (service.kind === 'ServiceEntry') return [service.hostname, ...service.addresses.filter(isIpAddress)].flatMap((n) => [n, `${n}:${port}`]);
  const { name, namespace } = service.meta;
  const names = [service.hostname];
  if (namespace === proxyNamespace) names.push(name);
  names.push(`${name}.${namespace}`, `${name}.${namespace}.svc`);
  // Headless services have clusterIP "None"; an IPv6 address appears in Host headers in brackets.
  const ip = service.clusterIP;
  if (ip && isIpAddress(ip)) names.push(ip.includes(':') ? `[${ip}]` : ip);
  return names.flatMap((n) => [n, `${n}:${port}`]);
}
