// Findings about how objects meet, checked on the whole mesh as it is served (ConfigStore runs
// them on every snapshot): each check lives in its own file; this is their list.
import { reservedPortFindings } from '../proxy-ports';
import type { MeshIndexes } from '../snapshot';
import type { Diagnostic } from '../types';
import { allowRulesLostOnTcp } from './authorization-tcp';
import { autoPassthroughCoversNothing } from './auto-passthrough';
import { delegationFindings } from './delegates';
import { gatewayConflicts } from './gateway-conflicts';
import { meshHostConflicts } from './mesh-hosts';
import { subsetReferenceErrors } from './references';
import { sidecarConflicts } from './sidecar-conflicts';
import { envoyFiltersSelectingNothing } from './envoy-filter-selection';
import { telemetryConflicts } from './telemetry-conflicts';
import { telemetryProviderFindings } from './telemetry-providers';

/**
 * Findings that need more than one object, on the mesh as served. A VirtualService naming a subset
 * no DestinationRule defines is served all the same, with a MAST3001 warning: as in Istio, only the
 * route to that subset fails (Envoy answers 503 for a cluster it does not have), not the
 * VirtualService. A VirtualService naming a host an older one names for sidecars is served too,
 * but sidecars use the older one for that host (MAST3002, Istio's IST0109). A Gateway server on a
 * port the proxy keeps for itself is left out alone (MAST2102). An AuthorizationPolicy ALLOW rule
 * testing HTTP attributes is named where it meets TCP ports, which it cannot allow (MAST3003).
 * Delegation that cannot happen is named on the rule that asks for it (MAST3004, MAST3005, MAST2002).
 * A Gateway server that an older Gateway's keeps from a port or host is named (MAST3007).
 * An AUTO_PASSTHROUGH Gateway server whose hosts cover no service of the mesh is named (MAST3009).
 * An EnvoyFilter whose workloadSelector picks no Pod is named (MAST3014).
 */
export function crossObjectFindings(indexes: MeshIndexes, domain: string): Diagnostic[] {
  const ruleFor = indexes.destinationRuleFor.bind(indexes);
  const virtualServices = indexes.objects.VirtualService;
  return [
    ...virtualServices.flatMap((vs) => subsetReferenceErrors(vs, ruleFor, domain)),
    ...meshHostConflicts(virtualServices, domain, indexes.meshConfig.defaultVirtualServiceExportTo),
    ...delegationFindings(virtualServices, domain, indexes.meshConfig.defaultVirtualServiceExportTo),
    ...indexes.objects.Gateway.flatMap(reservedPortFindings),
    ...sidecarConflicts(indexes.objects.Sidecar, indexes.objects.Pod),
    ...envoyFiltersSelectingNothing(indexes.objects.EnvoyFilter, indexes.objects.Pod, indexes.objects.Gateway, indexes.mesh.rootNamespace),
    ...telemetryConflicts(indexes.objects.Telemetry, indexes.objects.Pod),
    ...telemetryProviderFindings(indexes.objects.Telemetry, indexes.meshConfig, (host) => indexes.serviceByHost(host)),
    ...gatewayConflicts(indexes.objects.Gateway, indexes.objects.Pod),
    ...autoPassthroughCoversNothing(indexes.objects.Gateway, indexes.meshServices()),
    ...allowRulesLostOnTcp(indexes.objects.AuthorizationPolicy, {
      pods: indexes.objects.Pod,
      servicesSelecting: (namespace, labels) => indexes.servicesSelecting(namespace, labels),
      rootNamespace: indexes.mesh.rootNamespace,
    }),
  ];
}
