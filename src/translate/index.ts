// Translation: a model snapshot and a proxy class in, Envoy resources out. Pure: the same input
// gives byte-identical output, which lets the xDS layer share and cache results by class.
import type { Snapshot } from '../model/types';
import type { NamedResource, ProxyClass, ResourceSet } from './types';
import { gatewayResources } from './gateway';
import { sidecarResources } from './sidecar';
import { byKey } from './order';

function byName(list: NamedResource[]): NamedResource[] {
  return [...list].sort(byKey((r) => r.name));
}

export function translate(snapshot: Snapshot, proxy: ProxyClass): ResourceSet {
  const set = proxy.role === 'router' ? gatewayResources(snapshot, proxy) : sidecarResources(snapshot, proxy);
  return {
    clusters: byName(set.clusters),
    endpoints: byName(set.endpoints),
    listeners: byName(set.listeners),
    routes: byName(set.routes),
  };
}
