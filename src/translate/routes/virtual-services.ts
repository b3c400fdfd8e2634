// Which VirtualServices apply where: the gateways they bind to, the namespaces they are exported
// to, and the hosts they name.
import type { Snapshot, VirtualService } from '../../model/types';
import { resolveHost } from '../../model/hosts';
import { isDelegate, mergeDelegates } from '../../model/delegation';
import { isExportedTo } from '../../model/export-to';

/** The reserved gateway name for every sidecar in the mesh. */
export const MESH_GATEWAY = 'mesh';

/** A `gateways` entry as `namespace/name` (a bare name is in the VirtualService's namespace), or `mesh`. */
export function gatewayKey(ref: string, namespace: string): string {
  if (ref === MESH_GATEWAY || ref.includes('/')) return ref;
  return `${namespace}/${ref}`;
}

/** The gateways a VirtualService binds to; none listed means the mesh's sidecars. */
function boundGateways(vs: VirtualService): string[] {
  const refs = vs.spec.gateways ?? [];
  return refs.length === 0 ? [MESH_GATEWAY] : refs.map((g) => gatewayKey(g, vs.meta.namespace));
}


/**
 * The VirtualServices bound to `gateway` that a proxy in `namespace` may see, oldest first: in the
 * snapshot's creation order, as Istio orders them (sortMergedVirtualServicesByCreationTime), so
 * the oldest claims a host on sidecars and gateways merge routes oldest first. Each root comes
 * with its delegates' rules merged in (src/model/delegation.ts); delegates themselves, which have
 * no hosts, route nothing on their own. The merged copies keep the root's `meta` object.
 */
export function virtualServicesFor(snapshot: Snapshot, gateway: string, namespace: string): VirtualService[] {
  const lookup = (ref: Parameters<Snapshot['object']>[0]): VirtualService | undefined => {
    const found = snapshot.object(ref);
    return found?.kind === 'VirtualService' ? found : undefined;
  };
  const defaults = snapshot.meshConfig.defaultVirtualServiceExportTo;
  return snapshot
    .virtualServices()
    .filter((vs) => !isDelegate(vs) && isExportedTo(vs.spec.exportTo, vs.meta.namespace, namespace, defaults) && boundGateways(vs).includes(gateway))
    .map((vs) => mergeDelegates(vs, lookup, snapshot.domain, defaults).vs);
}

/** The VirtualService's hosts with short names resolved in its namespace. */
export function virtualServiceHosts(vs: VirtualService, domain: string): string[] {
  return (vs.spec.hosts ?? []).map((h) => resolveHost(h, vs.meta.namespace, domain));
}
