// Which Gateway servers a router serves: those of the Gateways whose selector matches its labels,
// merged as Istio's mergeGateways does (src/model/gateway-servers.ts).
import type { Gateway, Snapshot } from '../model/types';
import { labelsMatch } from '../model/labels';
import { mergeGatewayServers, type GatewayPort } from '../model/gateway-servers';
import { gatewayKey } from './routes/virtual-services';

export type { BoundServer, GatewayPort, Server } from '../model/gateway-servers';

/** A Gateway as resolved VirtualService `gateways` entries name it: `namespace/name`. */
export function gatewayKeyOf(gateway: Gateway): string {
  return gatewayKey(gateway.meta.name, gateway.meta.namespace);
}

/**
 * The servers of the Gateways selecting `labels`, by port, oldest Gateway first (the snapshot's
 * creation order, as Istio's initGateways sorts them): where two servers cannot share a port, the
 * older Gateway's keeps it (validation reports the other, MAST3007).
 */
export function gatewayPorts(snapshot: Snapshot, labels: Record<string, string>): GatewayPort[] {
  return mergeGatewayServers(snapshot.gateways().filter((g) => labelsMatch(g.spec.selector, labels))).ports;
}
