// Service cluster IPs as the Kubernetes API server keeps them: each a valid IP address, `None`
// (headless) or empty (one is allocated), checked by ValidateService (pkg/apis/core/validation,
// IsValidIPForLegacyField); and each allocated to one Service only (the IP allocator refuses
// "provided IP is already allocated"). File mode has no API server; a second Service with a live
// one's clusterIP would otherwise claim the same domain in every sidecar route table.
import { isIP } from 'node:net';
import { diagnostic } from '../errors';
import { refKey, refOf, type Diagnostic, type Service } from '../types';

/** Why the API server would refuse `clusterIP` (MAST2104), or undefined. IPv6 zones are not addresses. */
export function clusterIPProblem(clusterIP: string): string | undefined {
  if (clusterIP === '' || clusterIP === 'None' || (isIP(clusterIP) !== 0 && !clusterIP.includes('%'))) return undefined;
  return `Invalid value ${JSON.stringify(clusterIP)}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff), or None (the Kubernetes API server's ValidateService)`;
}

/** One spelling per address: `0::1` and `::1` are one IPv6 address (node's isIP already refuses IPv4 with leading zeros). */
export function canonical(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname : ip;
}

/**
 * Among `services`, in creation order, each that has the clusterIP of one before it: a MAST2105
 * warning naming that older Service, which keeps the address. The API server would have refused
 * the later one; Mast serves it without the address (`losers`), so it cannot take the older one's
 * domain.
 */
export function clusterIPConflicts(services: readonly Service[]): { findings: Diagnostic[]; losers: Set<Service> } {
  const owners = new Map<string, Service>();
  const findings: Diagnostic[] = [];
  const losers = new Set<Service>();
  for (const service of services) {
    const ip = service.clusterIP;
    if (!ip || ip === 'None') continue;
    const key = canonical(ip);
    const owner = owners.get(key);
    if (!owner) {
      owners.set(key, service);
      continue;
    }
    losers.add(service);
    const message = `clusterIP ${ip} is already allocated to ${refKey(refOf(owner))}, which is older and keeps it; this Service is served without it (the Kubernetes API server refuses "provided IP is already allocated")`;
    findings.push(diagnostic('MAST2105', message, { object: refOf(service), origin: service.origin, field: 'spec.clusterIP' }));
  }
  return { findings, losers };
}
