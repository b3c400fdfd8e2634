// Findings about how objects meet, checked on the whole mesh as it is served (ConfigStore reruns
// those that read a kind that changed): each check lives in its own file; this is their list.
import { reservedPortFindings } from '../proxy-ports';
import type { MeshIndexes } from '../snapshot';
import type { Diagnostic, Kind, VirtualService } from '../types';
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

/** One check over the mesh and the kinds its answer depends on (what it is given: `meshConfig` is ConfigMap). */
interface Check {
  reads: readonly Kind[];
  run(indexes: MeshIndexes, domain: string, subsets: WeakMap<VirtualService, Diagnostic[]>): Diagnostic[];
}

// What a rule lookup answers depends on the rules, the host's Service (its namespace) and the mesh's default exportTo.
const RULE_LOOKUP: readonly Kind[] = ['DestinationRule', 'Service', 'ServiceEntry', 'ConfigMap'];

const CHECKS: readonly Check[] = [
  {
    // Per VirtualService, each kept until it or a rule lookup changes: a VirtualService change reruns its own alone.
    reads: ['VirtualService', ...RULE_LOOKUP],
    run: (indexes, domain, subsets) => {
      const ruleFor = indexes.destinationRuleFor.bind(indexes);
      return indexes.objects.VirtualService.flatMap((vs) => {
        let found = subsets.get(vs);
        if (!found) subsets.set(vs, (found = subsetReferenceErrors(vs, ruleFor, domain)));
        return found;
      });
    },
  },
  { reads: ['VirtualService', 'ConfigMap'], run: (i, domain) => meshHostConflicts(i.objects.VirtualService, domain, i.meshConfig.defaultVirtualServiceExportTo) },
  { reads: ['VirtualService', 'ConfigMap'], run: (i, domain) => delegationFindings(i.objects.VirtualService, domain, i.meshConfig.defaultVirtualServiceExportTo) },
  { reads: ['Gateway'], run: (i) => i.objects.Gateway.flatMap(reservedPortFindings) },
  { reads: ['Sidecar', 'Pod'], run: (i) => sidecarConflicts(i.objects.Sidecar, i.objects.Pod) },
  { reads: ['EnvoyFilter', 'Pod', 'Gateway'], run: (i) => envoyFiltersSelectingNothing(i.objects.EnvoyFilter, i.objects.Pod, i.objects.Gateway, i.mesh.rootNamespace) },
  { reads: ['Telemetry', 'Pod'], run: (i) => telemetryConflicts(i.objects.Telemetry, i.objects.Pod) },
  { reads: ['Telemetry', 'ConfigMap', 'Service', 'ServiceEntry'], run: (i) => telemetryProviderFindings(i.objects.Telemetry, i.meshConfig, (host) => i.serviceByHost(host)) },
  { reads: ['Gateway', 'Pod'], run: (i) => gatewayConflicts(i.objects.Gateway, i.objects.Pod) },
  { reads: ['Gateway', 'Service', 'ServiceEntry'], run: (i) => autoPassthroughCoversNothing(i.objects.Gateway, i.meshServices()) },
  {
    reads: ['AuthorizationPolicy', 'Pod', 'Service'],
    run: (i) =>
      allowRulesLostOnTcp(i.objects.AuthorizationPolicy, {
        pods: i.objects.Pod,
        servicesSelecting: (namespace, labels) => i.servicesSelecting(namespace, labels),
        rootNamespace: i.mesh.rootNamespace,
      }),
  },
];

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
 *
 * The store keeps one of these and calls `update` with each snapshot's indexes and the kinds that
 * changed since the last: a check is rerun only when a kind it reads changed, so an EndpointSlice
 * change reruns none and a VirtualService change the VirtualService checks alone.
 */
export class CrossObjectFindings {
  private readonly results: Diagnostic[][] = CHECKS.map(() => []);
  private subsets = new WeakMap<VirtualService, Diagnostic[]>();

  constructor(private readonly domain: string) {}

  /** The findings on `indexes`, given the kinds changed since the last call (every kind on the first). */
  update(indexes: MeshIndexes, changed?: ReadonlySet<Kind>): Diagnostic[] {
    if (!changed || RULE_LOOKUP.some((k) => changed.has(k))) this.subsets = new WeakMap();
    CHECKS.forEach((check, i) => {
      if (!changed || check.reads.some((k) => changed.has(k))) this.results[i] = check.run(indexes, this.domain, this.subsets);
    });
    return this.results.flat();
  }
}
