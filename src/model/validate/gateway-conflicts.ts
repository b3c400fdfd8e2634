// Gateways that claim one port and host of one gateway workload. Istio merges the servers of every
// Gateway selecting a workload, oldest first (mergeGateways, pilot/pkg/model/gateway.go): a server
// that cannot share its port with an older one is skipped, and only logged; plain-text HTTP
// servers with one host are merged. Its analyzer reports both as IST0145 ConflictingGateways
// (pkg/config/analysis/analyzers/gateway/conflictinggateway.go). Mast reports each newer server
// (MAST3007), saying which older Gateway keeps the port or host, and what happens to this one.
import { diagnostic } from '../errors';
import { mergeGatewayServers, sniHosts, terminatesTls, type DroppedServer } from '../gateway-servers';
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
 * MAST3007 findings for `gateways` (in creation order). The gateway workloads are the Pods some
 * Gateway selects and, where no Pod stands for them (file mode, or a proxy not yet running), a
 * workload with exactly each Gateway's selector labels.
 */
export function gatewayConflicts(gateways: readonly Gateway[], pods: readonly Pod[]): Diagnostic[] {
  if (gateways.length < 2) return [];
  const workloads = [
    ...gateways.map((g) => g.spec.selector ?? {}),
    ...pods.map((p) => p.meta.labels).filter((labels) => gateways.some((g) => labelsMatch(g.spec.selector, labels))),
  ];
  const found = new Map<string, Diagnostic>();
  const report = (gateway: Gateway, field: string, message: string): void => {
    const key = `${nameOf(gateway)} ${field}`;
    if (!found.has(key)) found.set(key, diagnostic('MAST3007', message, { object: refOf(gateway), origin: gateway.origin, field }));
  };
  for (const labels of workloads) {
    const selecting = gateways.filter((g) => labelsMatch(g.spec.selector, labels));
    if (selecting.length < 2) continue;
    const { ports, dropped } = mergeGatewayServers(selecting);
    for (const d of dropped) report(d.gateway, `spec.servers[${d.index}].${d.reason === 'sni' ? 'hosts' : 'port'}`, droppedMessage(d, labels));
    // Plain-text HTTP servers of two Gateways naming one host: both served, their routes merged.
    for (const gp of ports) {
      const claimed = new Map<string, Gateway>();
      for (const { gateway, server } of gp.servers.filter((b) => !terminatesTls(b.server))) {
        for (const host of sniHosts(server) ?? ['*']) {
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
