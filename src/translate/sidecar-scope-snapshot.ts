// The mesh as a Sidecar lets a proxy see it: a Snapshot whose services and VirtualServices are the
// scope's (sidecar-scope.ts), everything else as it is. The outbound translators read the mesh only
// through Snapshot, so they build a scoped proxy's clusters, endpoints, routes and listeners from
// its few services without knowing about Sidecars, and nothing outside the scope is translated,
// encoded or sent.
import type { Snapshot } from '../model/types';
import { applicableSidecar, sidecarScope, sidecarScopeKey, type ScopedService, type SidecarScope } from './sidecar-scope';
import type { TranslationPart } from './parts';

/** Which of a scope's service lists a part is built from (SidecarScope). */
export type ScopeView = 'clusters' | 'listeners';

/**
 * `inner` narrowed to the scope: `services()` is the scope's list for `view` (in creation order;
 * a service may carry fewer ports than its object), `virtualServices()` the scope's, and
 * `serviceByHost` knows every service the scope has clusters for (a route to a VirtualService's
 * destination finds its ports; a host outside the scope is unknown, as to Istio's
 * SidecarScope.GetService). Every other member is `inner`'s, called on `inner`, so a SnapshotReads
 * underneath still notes what is read, and a Snapshot method added later passes through unscoped
 * until it is listed here.
 */
export function scopedSnapshot(inner: Snapshot, scope: SidecarScope, view: ScopeView): Snapshot {
  const listed = view === 'clusters' ? scope.clusterServices : scope.listenerServices;
  const byHost = new Map(scope.clusterServices.map((s) => [s.hostname, s]));
  const overrides: Record<string, unknown> = {
    services: (): readonly ScopedService[] => listed,
    serviceByHost: (host: string): ScopedService | undefined => byHost.get(host),
    virtualServices: () => scope.virtualServices,
  };
  return new Proxy(inner, {
    get(target, prop, _receiver) {
      if (typeof prop === 'string' && prop in overrides) return overrides[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * `part` for sidecars a Sidecar may scope: keyed also by the scope (the Sidecar that applies, and
 * the namespace it applies in), so proxies under one Sidecar share one build, and built on the
 * scope's `view` of the mesh. A proxy no Sidecar applies to keeps the part's own key, so it shares
 * its piece with gateways and unscoped sidecars as before.
 */
export function scopedPart(part: TranslationPart, view: ScopeView): TranslationPart {
  return {
    name: part.name,
    key: (proxy, snapshot) => {
      const scope = sidecarScopeKey(snapshot, proxy);
      const own = part.key(proxy, snapshot);
      return scope ? JSON.stringify([own, scope]) : own;
    },
    build: (snapshot, proxy) => {
      const sidecar = applicableSidecar(snapshot, proxy);
      if (!sidecar) return part.build(snapshot, proxy);
      return part.build(scopedSnapshot(snapshot, sidecarScope(snapshot, sidecar, proxy.namespace), view), proxy);
    },
    // Each member is built on the scope worked out with the list, over the snapshot it is given.
    ...(part.members && {
      members: (snapshot, proxy) => {
        const sidecar = applicableSidecar(snapshot, proxy);
        if (!sidecar) return part.members!(snapshot, proxy);
        const scope = sidecarScope(snapshot, sidecar, proxy.namespace);
        return part.members!(scopedSnapshot(snapshot, scope, view), proxy)?.map((m) => ({ key: m.key, build: (s) => m.build(scopedSnapshot(s, scope, view)) }));
      },
    }),
  };
}
