// Gateways that claim one port and host of one gateway workload. Istio merges the servers of every
// Gateway selecting a workload, oldest first (mergeGateways, pilot/pkg/model/gateway.go): a server
// that cannot share its port with an older one is skipped, and only logged; plain-text HTTP
// servers with one host are merged. Its analyzer reports both as IST0145 ConflictingGateways
// (pkg/config/analysis/analyzers/gateway/conflictinggateway.go). Mast reports each newer server
// (MAST3007), saying which older Gateway keeps the port or host, and what happens to this one.
import { diagnostic } from '../errors';
import { mergeGatewayServers, terminatesTls, type DroppedServer } from '../gateway-servers';
import { labelsMatch } from '../labels';
import { refOf, type Diagnostic, type Gateway, type Pod } from '../types';

const nameOf = (g: Gateway): string => `${g.meta.namespace}/${g.meta.name}`;
const describe = (labels: Record<string, string>): string => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',') || 'every workload';

function droppedMessage(d: DroppedServer, labels: Record<string, string>): string {
  const port = d.server.port.number;
  const older = `Gateway ${nameOf(d.keptBy.gateway)} (older)`;
  if (d.reason === 'protocol') {
    return `port ${port} of the gateway workloads ${describe(labels)} is already ${d.keptBy.server.port.protocol} (not the same kind of listener as ${d.server.port.protocol}) by ${older}; this server is not served there`;
  }
  return `host(s) ${d.names!.join(', ')} on port ${port} of the gateway workloads ${describe(labels)} are already served by ${older}; two filter chains matching one SNI name make Envoy refuse the listener, so this server is not served there`;
}

/**
 * MAST3007 findings for `gateways` (in creation order), on each gateway workload: as Istio's
 * analyzer, Gateways with one selector always meet, and two different selectors meet only on a
 * Pod both select.
 */
export function gatewayConflicts(gateways: readonly Gateway[], pods: readonly Pod[]): Diagnostic[] {
  if (gateways.length < 2) return [];
  const key = (labels: Record<string, string>): string => JSON.stringify(Object.entries(labels).sort());
  // Each distinct Pod label set once (a gateway Deployment's replicas all carry the same labels),
  // picked by every Gateway whose selector matches; and each selector no Pod answers, standing for
  // a workload that only Gateways with that very selector pick (the analyzer's same-selector rule).
  const workloads = new Map<string, { labels: Record<string, string>; picks: (g: Gateway) => boolean }>();
  for (const { meta } of pods) {
    if (gateways.some((g) => labelsMatch(g.spec.selector, meta.labels))) workloads.set(key(meta.labels), { labels: meta.labels, picks: (g) => labelsMatch(g.spec.selector, meta.labels) });
  }
  for (const g of gateways) {
    const selector = g.spec.selector ?? {};
    if (pods.some((p) => labelsMatch(selector, p.meta.labels))) continue;
    workloads.set(`selector ${key(selector)}`, { labels: selector, picks: (other) => key(other.spec.selector ?? {}) === key(selector) });
  }
  const found = new Map<string, Diagnostic>();
  const report = (gateway: Gateway, field: string, message: string): void => {
    const id = `${nameOf(gateway)} ${field}`;
    if (!found.has(id)) found.set(id, diagnostic('MAST3007', message, { object: refOf(gateway), origin: gateway.origin, field }));
  };
  for (const { labels, picks } of workloads.values()) {
    const selecting = gateways.filter(picks);
    if (selecting.length < 2) continue;
    const { ports, dropped } = mergeGatewayServers(selecting);
    for (const d of dropped) report(d.gateway, `spec.servers[${d.index}].${d.reason === 'sni' ? 'hosts' : 'port'}`, droppedMessage(d, labels));
    // Plain-text HTTP servers of two Gateways naming one host: both served, their routes merged.
    // Hosts as written (`team-a/*` and `team-b/*` differ), as the analyzer's CheckDuplicates compares them.
    for (const gp of ports) {
      const claimed = new Map<string, Gateway>();
      for (const { gateway, server } of gp.servers.filter((b) => !terminatesTls(b.server))) {
        for (const host of server.hosts) {
          const owner = claimed.get(host);
          if (owner && owner !== gateway) {
            const index = (gateway.spec.servers ?? []).indexOf(server);
            report(gateway, `spec.servers[${index}].hosts`, `host ${host} on port ${gp.port} of the gateway workloads ${describe(labels)} is also Gateway ${nameOf(owner)}'s (older); both are served, and the routes of the VirtualServices bound to either merge for that host, oldest first`);
          } else if (!owner) claimed.set(host, gateway);
        }
      }
    }
  }
  return [...found.values()];
}
