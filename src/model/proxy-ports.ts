// The ports an Istio-style proxy keeps for itself (istio.io "Ports used by Istio"; Mast's bootstrap
// puts Envoy's admin on 15000 too). A listener on one of them cannot bind, or takes the port from
// the proxy: Envoy rejects the whole listener update (a NACK, every later listener change frozen),
// so translation leaves such a Gateway server out and the model says why (MAST2102). Istio skips
// listeners that conflict with its reserved ones in the same way (conflictWithReservedListener).
import { diagnostic } from './errors';
import { refOf, type Diagnostic, type Gateway } from './types';

export const PROXY_RESERVED_PORTS: ReadonlyMap<number, string> = new Map([
  [15000, "Envoy's admin interface"],
  [15001, 'the outbound capture listener'],
  [15004, 'the debug interface'],
  [15006, 'the inbound capture listener'],
  [15008, 'the HBONE tunnel'],
  [15020, 'merged metrics'],
  [15021, 'the health check'],
  [15053, 'DNS capture'],
  [15090, "Envoy's Prometheus stats"],
]);

/** MAST2102 (a warning) for each server of `gateway` on a port the proxy keeps for itself. */
export function reservedPortFindings(gateway: Gateway): Diagnostic[] {
  return (gateway.spec.servers ?? []).flatMap((server, i) => {
    const use = PROXY_RESERVED_PORTS.get(server.port?.number);
    if (!use) return [];
    const message = `port ${server.port.number} is the gateway proxy's own (${use}); this server is not served`;
    return [diagnostic('MAST2102', message, { object: refOf(gateway), origin: gateway.origin, field: `spec.servers[${i}].port.number` })];
  });
}
