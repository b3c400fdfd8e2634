// VirtualServices that claim one host on sidecars. Istio gives a sidecar's host to one
// VirtualService: BuildSidecarVirtualHostWrapper (pilot/pkg/networking/core/route/route.go) takes
// them in creation order and the route builder drops a later virtual host for a domain already
// served (httproute.go, "duplicate domain from virtual service"), so the oldest wins and the
// others are silently unused. Istio's analyzer ConflictingMeshGatewayHostsAnalyzer
// (pkg/config/analysis/analyzers/virtualservice/conflictingmeshgatewayhosts.go) reports such
// conflicts as IST0109; Mast reports each VirtualService that loses, naming the one that wins.
import { diagnostic } from '../errors';
import { exportedNamespaces } from '../export-to';
import { resolveHost } from '../hosts';
import { refKey, refOf, type Diagnostic, type VirtualService } from '../types';

/** The namespaces that see a VirtualService: every one (`*`), or those listed. */
type Visibility = '*' | ReadonlySet<string>;

/** No gateways means the mesh's sidecars (`mesh`), as listing `mesh` does. */
function boundToMesh(vs: VirtualService): boolean {
  const gateways = vs.spec.gateways ?? [];
  return gateways.length === 0 || gateways.includes('mesh');
}

/** exportTo as the analyzer reads it (unset: the mesh's defaultVirtualServiceExportTo). */
function visibility(vs: VirtualService, defaults: readonly string[]): Visibility {
  return exportedNamespaces(vs.spec.exportTo, vs.meta.namespace, defaults);
}

/** Whether some namespace sees both: only there do they compete for the host. */
function overlap(a: Visibility, b: Visibility): boolean {
  return a === '*' || b === '*' || [...a].some((ns) => b.has(ns));
}

/**
 * `virtualServices` in creation order (Snapshot.virtualServices): a MAST3002 warning at each host
 * of a mesh-bound VirtualService that an older one, seen by some namespace that sees this one
 * too, already names (after short names are resolved in each one's namespace).
 */
export function meshHostConflicts(virtualServices: readonly VirtualService[], domain: string, defaultExportTo: readonly string[] = ['*']): Diagnostic[] {
  const claims = new Map<string, { vs: VirtualService; seen: Visibility }[]>();
  const found: Diagnostic[] = [];
  for (const vs of virtualServices) {
    if (!boundToMesh(vs)) continue;
    const seen = visibility(vs, defaultExportTo);
    (vs.spec.hosts ?? []).forEach((written, i) => {
      const host = resolveHost(written, vs.meta.namespace, domain);
      const earlier = claims.get(host) ?? [];
      const winner = earlier.find((c) => overlap(c.seen, seen));
      if (winner) {
        const message =
          `host ${host} is also named by VirtualService ${refKey(refOf(winner.vs))}, which is older: sidecars that see both route it by that one and do not use this one's rules for it; ` +
          "merge them into one VirtualService (Istio's analyzer: IST0109 ConflictingMeshGatewayVirtualServiceHosts)";
        found.push(diagnostic('MAST3002', message, { object: refOf(vs), origin: vs.origin, field: `spec.hosts[${i}]` }));
      }
      claims.set(host, [...earlier, { vs, seen }]);
    });
  }
  return found;
}
